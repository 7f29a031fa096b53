//! `POST /api/v1/lookup` (scope `idmap:read`): the UUID bound to each hash,
//! or `null`; never creates anything.

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_common::wire::{LookupRequest, LookupResponse, LookupResult};

use super::body::read_json;
use super::{invalid, resource};
use crate::auth::{self, Authorized};
use crate::db;
use crate::domain::validate;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/lookup").route(web::post().to(post_lookup)));
}

/// Answers in request order; ambiguous hashes still answer their UUID.
pub async fn post_lookup(
    state: web::Data<AppState>,
    _caller: Authorized<auth::Read>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let request: LookupRequest = read_json(&req, body).await?;
    let hashes = validate::lookup_request(&request).map_err(invalid)?;
    let found = db::link::lookup(&state.db, hashes).await?;
    let results = found
        .into_iter()
        .map(|(hash, uuid)| LookupResult { hash, uuid })
        .collect();
    Ok(HttpResponse::Ok().json(LookupResponse { results }))
}
