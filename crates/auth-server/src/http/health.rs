//! Liveness (the process answers), readiness (the database answers in
//! time and writes do not fail for lack of storage) and the Prometheus
//! scrape endpoint, all unauthenticated: nginx does not route them from
//! outside.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use idmap_storage::Database;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, method_not_allowed};

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
    )
    .service(
        web::resource("/metrics")
            .route(web::get().to(idmap_web::metrics::get_metrics))
            .default_service(method_not_allowed("GET")),
    );
}

/// What both probes answer when they pass.
#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// Always `ok`.
    pub status: &'static str,
}

const OK: HealthStatus = HealthStatus { status: "ok" };

async fn get_live() -> HttpResponse {
    HttpResponse::Ok().json(OK)
}

/// Longest a readiness probe waits for the database: orchestrators probe
/// with timeouts of a second or so, and a hang must read as "not ready".
const READY_WITHIN: Duration = Duration::from_millis(500);

async fn get_ready(db: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    if db.writes_failing() {
        tracing::warn!("readiness: database writes fail for lack of storage");
        return Err(ApiError::Unavailable);
    }
    match db.ping_within(READY_WITHIN).await {
        Ok(()) => Ok(HttpResponse::Ok().json(OK)),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable)
        }
    }
}
