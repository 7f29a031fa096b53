//! `POST /api/save` (scope `idmap:link`): the older clients' endpoint, kept
//! so unchanged cron jobs work. Validation failures answer in the older
//! `{"status":"error","message":...}` form; authentication, size and
//! content-type errors answer like every other endpoint.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use idmap_common::wire::{SaveRequest, SaveResponse, SaveResult};

use super::body::BodyError;
use super::call::Call;
use super::{link_patients, resource};
use crate::auth::Partner;
use crate::domain::save;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/save").route(web::post().to(post_save)));
}

/// Links the entries in numeric label order; answers 32-hex UUIDs by label.
pub async fn post_save(
    state: web::Data<AppState>,
    call: Call<Partner>,
) -> Result<HttpResponse, ApiError> {
    let request: SaveRequest = call.body.json().await.map_err(|e| match e {
        BodyError::Malformed(m) => ApiError::Legacy(format!("invalid JSON body: {m}")),
        other => other.into(),
    })?;
    let entries = save::save_request(request, state.max_patients).map_err(ApiError::Legacy)?;
    let (labels, patients): (Vec<String>, Vec<_>) = entries.into_iter().unzip();
    let uuids = link_patients(&state, call.caller.code, patients, "save", call.actor).await?;
    let data: BTreeMap<String, SaveResult> = labels
        .into_iter()
        .zip(uuids)
        .map(|(label, uuid)| {
            (
                label,
                SaveResult {
                    uuid: uuid.simple(),
                },
            )
        })
        .collect();
    Ok(HttpResponse::Ok().json(SaveResponse {
        status: "success".into(),
        data,
    }))
}
