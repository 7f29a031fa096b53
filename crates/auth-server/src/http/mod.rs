//! The HTTP layer for programs, split by audience: OAuth clients and
//! resource servers (`oauth/`), operators (`admin/`), users' scripts and
//! applications (`user_api/`), and probes (`health`). Each audience's state
//! is its own `web::Data` (`state`); the extractors that parse a request
//! once are in `extract` (client forms) and `bearer` (bearer tokens). The
//! HTML audience is `pages`, which this layer builds on and which never
//! imports it.

pub mod admin;
pub mod bearer;
pub mod body;
pub mod extract;
pub mod health;
pub mod oauth;
pub mod state;
pub mod user_api;

use actix_web::web;

/// Registers the routes of every audience here.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    oauth::configure(cfg);
    user_api::configure(cfg);
    admin::configure(cfg);
}
