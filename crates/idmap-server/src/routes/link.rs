//! `POST /api/v1/link` (scope `idmap:link`): hashes in, one UUID per patient out.

use actix_web::{HttpResponse, web};
use idmap_common::wire::{LinkRequest, LinkResponse, LinkResult};

use super::call::Call;
use super::{invalid, link_patients, resource};
use crate::auth::Partner;
use crate::domain::validate;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/link").route(web::post().to(post_link)));
}

/// Validates the whole batch, checks the salt fingerprint, links atomically.
pub async fn post_link(
    state: web::Data<AppState>,
    call: Call<Partner>,
) -> Result<HttpResponse, ApiError> {
    let request: LinkRequest = call.body.json().await?;
    let rules = state
        .rules
        .codes(
            request
                .patients
                .iter()
                .flat_map(|p| p.hashes.iter().map(|h| h.rule.as_str())),
        )
        .await?;
    let valid = validate::link_request(request, state.max_patients, &rules).map_err(invalid)?;
    if !validate::salt_fingerprint_ok(valid.salt_fingerprint.as_deref(), &state.salt_fingerprints) {
        return Err(ApiError::SaltMismatch);
    }
    let refs: Vec<Option<String>> = valid
        .patients
        .iter()
        .map(|p| p.patient_ref.as_ref().map(|r| r.as_str().to_owned()))
        .collect();
    let uuids = link_patients(&state, call.caller.code, valid.patients, "link", call.actor).await?;
    let results = refs
        .into_iter()
        .zip(uuids)
        .map(|(patient_ref, uuid)| LinkResult { patient_ref, uuid })
        .collect();
    Ok(HttpResponse::Ok().json(LinkResponse { results }))
}
