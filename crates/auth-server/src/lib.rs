//! auth-server: the OAuth 2 authorization server of the idmap network. It
//! registers partners, clients and users, runs the authorization-code (with
//! PKCE), refresh-token, client-credentials and (when enabled) password and
//! implicit grants, issues RFC 9068 JWT access tokens, introspects and
//! revokes tokens, rotates its signing keys on a schedule, and publishes
//! its keys (RFC 7517) and metadata (RFC 8414). See `docs/` and the design's sections 2 and 7.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod services;
pub mod startup;
