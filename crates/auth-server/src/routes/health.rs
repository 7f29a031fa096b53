//! Liveness (the process answers) and readiness (the database answers).

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{AppState, method_not_allowed};
use crate::error::ApiError;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health/live")
            .route(web::get().to(get_live))
            .route(web::head().to(get_live))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::resource("/health/ready")
            .route(web::get().to(get_ready))
            .route(web::head().to(get_ready))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

async fn get_live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn get_ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.db.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({"status": "ok"}))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable)
        }
    }
}
