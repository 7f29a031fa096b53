//! `GET /api/v1/admin/uuids/{uuid}`: the survivor a UUID answers (itself
//! unless merged), the UUIDs merged into it, and its hash and ref counts.

use actix_web::{HttpResponse, web};
use idmap_common::LinkUuid;

use crate::auth::{self, Authorized};
use crate::db::merges;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/uuids/{uuid}").route(web::get().to(get_uuid)));
}

pub async fn get_uuid(
    state: web::Data<AppState>,
    _caller: Authorized<auth::Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let u = LinkUuid::parse(&path).ok_or(ApiError::NotFound)?;
    match merges::info(&state.db, u).await? {
        Some(info) => Ok(HttpResponse::Ok().json(info)),
        None => Err(ApiError::NotFound),
    }
}
