//! idmap-server: the resource server that maps salted sha256 hashes of
//! identifying fields to persistent UUIDs, one per person across partners. A library so
//! that tests start the real server in-process; `main.rs` is a thin
//! entry point.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod import;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod telemetry;
