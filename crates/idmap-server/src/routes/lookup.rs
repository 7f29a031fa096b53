//! `POST /api/v1/lookup` (scope `idmap:read`): the UUID bound to each hash,
//! or `null`; never creates anything.

use actix_web::{HttpResponse, web};
use idmap_common::wire::{LookupRequest, LookupResponse, LookupResult};

use super::call::Call;
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
    call: Call<Authorized<auth::Read>>,
) -> Result<HttpResponse, ApiError> {
    let request: LookupRequest = call.body.json().await?;
    let hashes = validate::lookup_request(&request).map_err(invalid)?;
    let found = db::link::lookup(&state.db, hashes).await?;
    let results = found
        .into_iter()
        .map(|(hash, uuid)| LookupResult { hash, uuid })
        .collect();
    Ok(HttpResponse::Ok().json(LookupResponse { results }))
}
