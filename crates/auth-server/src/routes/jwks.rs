//! `GET /oauth/jwks.json`: the RFC 7517 JWK Set verifiers fetch and cache.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{AppState, method_not_allowed};

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/jwks.json")
            .route(web::get().to(get_jwks))
            .route(web::head().to(get_jwks))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", state.jwks_max_age),
        ))
        .json(state.keys.jwks())
}
