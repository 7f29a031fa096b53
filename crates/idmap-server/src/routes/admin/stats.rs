//! `GET /api/v1/admin/stats`: totals and, per partner, patients (refs),
//! hashes bound, ambiguous hashes among them and open conflicts.

use actix_web::{HttpResponse, web};

use crate::auth::{self, Authorized};
use crate::db::admin;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/stats").route(web::get().to(get_stats)));
}

pub async fn get_stats(
    state: web::Data<AppState>,
    _caller: Authorized<auth::Admin>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin::stats(&state.db).await?))
}
