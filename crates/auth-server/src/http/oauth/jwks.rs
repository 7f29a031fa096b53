//! `GET /oauth/jwks.json`: the RFC 7517 JWK Set verifiers fetch and cache.
//! Its `max-age` never runs past the next scheduled key change, so caches
//! refresh right when a key starts signing or is dropped.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::method_not_allowed;
use crate::http::state::OAuthState;
use crate::keys::schedule;
use crate::metrics::AuthMetrics;
use idmap_common::clock::now_unix;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/jwks.json")
            .route(web::get().to(get_jwks))
            .route(web::head().to(get_jwks))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

async fn get_jwks(oauth: web::Data<OAuthState>, metrics: web::Data<AuthMetrics>) -> HttpResponse {
    metrics.jwks_served();
    let now = now_unix();
    let next = oauth.keys.current().next_change(now);
    let max_age = schedule::max_age(oauth.jwks_max_age, next, now);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .json(oauth.keys.jwks())
}
