//! `GET /metrics`: a few Prometheus counters (JWKS documents served, keys
//! published), enough to watch a key rotation and spot a refetch storm.

use std::sync::atomic::Ordering;

use actix_web::{HttpResponse, web};

use super::{AppState, method_not_allowed};

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/metrics")
            .route(web::get().to(get_metrics))
            .default_service(method_not_allowed("GET")),
    );
}

async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    let served = state.jwks_served.load(Ordering::Relaxed);
    let published = state.keys.jwks().keys.len();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(format!(
            "# HELP auth_jwks_requests_total JWKS documents served.\n\
             # TYPE auth_jwks_requests_total counter\n\
             auth_jwks_requests_total {served}\n\
             # HELP auth_jwks_keys Keys currently published.\n\
             # TYPE auth_jwks_keys gauge\n\
             auth_jwks_keys {published}\n"
        ))
}
