//! Liveness and readiness probes (live while the process answers, ready
//! once the JWKS has loaded, while the database answers within
//! [`READY_WITHIN`] and while writes do not fail for lack of storage;
//! cached keys keep it ready while auth-server is down) and the Prometheus
//! scrape endpoint, all unauthenticated: nginx does not route them from
//! outside.

use std::time::Duration;

use actix_web::{HttpResponse, web};

use super::resource;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(web::get().to(get_live)))
        .service(resource("/health/ready").route(web::get().to(get_ready)))
        .service(resource("/metrics").route(web::get().to(idmap_web::metrics::get_metrics)));
}

/// Longest a readiness probe waits for the database: orchestrators probe
/// with timeouts of a second or so, and a hang must read as "not ready".
pub const READY_WITHIN: Duration = Duration::from_millis(500);

pub async fn get_live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

pub async fn get_ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.verifier.is_ready() {
        return Err(ApiError::Unavailable("signing keys are not loaded yet"));
    }
    if state.db.writes_failing() {
        return Err(ApiError::Unavailable(
            "the database refuses writes (storage exhausted)",
        ));
    }
    if let Err(e) = state.db.ping_within(READY_WITHIN).await {
        tracing::warn!(error = %e, "readiness: database does not answer");
        return Err(ApiError::Unavailable("the database does not answer"));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
