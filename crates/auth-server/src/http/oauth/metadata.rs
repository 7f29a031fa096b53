//! `GET /.well-known/oauth-authorization-server` (RFC 8414): the document
//! of `services::metadata`, cached like the JWK Set.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::method_not_allowed;
use crate::http::state::OAuthState;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/.well-known/oauth-authorization-server")
            .route(web::get().to(get_metadata))
            .route(web::head().to(get_metadata))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

async fn get_metadata(oauth: web::Data<OAuthState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", oauth.jwks_max_age),
        ))
        .json(&oauth.metadata)
}
