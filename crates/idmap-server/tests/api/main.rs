//! Integration tests of idmap-server: the real server in-process on port 0,
//! tokens from a stand-in issuer, and every test run once per backend
//! (SQLite, PostgreSQL, MySQL/MariaDB), each on a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod helpers;

mod admin;
mod auth;
mod bad_input;
mod concurrency;
mod import;
mod kill;
mod link;
mod lookup;
mod observability;
mod openapi;
mod operator;
mod ops;
mod outage;
mod plans;
mod resources;
mod same_partner;
mod save;
mod scenario;
mod servers;
mod stalled;
