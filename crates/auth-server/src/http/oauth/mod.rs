//! The OAuth endpoints: token, introspection and revocation (client
//! forms, `throttle::ClientCall`, behind the `throttle` gate), the
//! authorization endpoint, the JWK Set, the metadata document and userinfo.

pub mod authorize;
pub mod introspect;
pub mod jwks;
pub mod metadata;
pub mod throttle;
pub mod token;
pub mod userinfo;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::no_store;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    metadata::configure(cfg);
    jwks::configure(cfg);
    token::configure(cfg);
    authorize::configure(cfg);
    introspect::configure(cfg);
    userinfo::configure(cfg);
}

/// A JSON answer that must not be cached (RFC 6749 5.1, RFC 7662 2.2).
fn no_store_json(body: &impl Serialize) -> HttpResponse {
    let mut builder = HttpResponse::Ok();
    no_store(&mut builder);
    builder.json(body)
}
