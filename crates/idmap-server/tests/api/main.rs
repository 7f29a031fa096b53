//! Integration tests of idmap-server: the real server in-process on port 0,
//! a temporary SQLite file per test, tokens from a stand-in issuer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bad_input;
mod helpers;
mod link;
mod lookup;
mod ops;
mod save;
mod scenario;
