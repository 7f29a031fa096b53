//! Integration tests of auth-server: the real server in-process on port 0
//! (see [`support`]), driven over HTTP like a client and a browser would,
//! plus the binary itself where the command line is the subject. One module
//! per subject; `security` holds the findings of the security review.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod admin_api;
mod admin_cli;
mod authorization_code;
mod backends;
mod bearer_revocation;
mod discovery;
mod introspection;
mod key_rotation;
mod oauth2_crate;
mod observability;
mod openapi;
mod operator;
mod rate_limit;
mod refresh;
mod replicas;
mod secret_storage;
mod security;
mod token;
mod token_errors;
mod user_center;
mod user_center_pages;
mod user_grants;
