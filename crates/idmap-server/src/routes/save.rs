//! `POST /api/save` (scope `idmap:link`): the older clients' endpoint, kept
//! so unchanged cron jobs work. Validation failures answer in the older
//! `{"status":"error","message":...}` form; authentication, size and
//! content-type errors answer like every other endpoint.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_common::wire::{SaveRequest, SaveResponse, SaveResult};

use super::body::{BodyError, read_json};
use super::method_not_allowed;
use crate::auth::{self, Authorized};
use crate::db;
use crate::domain::save;
use crate::error::ApiError;
use crate::routes::actor;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/save")
            .route(web::post().to(post_save))
            .default_service(web::to(method_not_allowed)),
    );
}

/// Links the entries in numeric label order; answers 32-hex UUIDs by label.
pub async fn post_save(
    state: web::Data<AppState>,
    caller: Authorized<auth::Link>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let partner = auth::partner(&caller)?;
    let request: SaveRequest = read_json(&req, body).await.map_err(|e| match e {
        BodyError::Malformed(m) => ApiError::Legacy(format!("invalid JSON body: {m}")),
        other => other.into(),
    })?;
    let entries = save::save_request(request, state.max_patients).map_err(ApiError::Legacy)?;
    let (labels, patients): (Vec<String>, Vec<_>) = entries.into_iter().unzip();
    let (uuids, counts) = db::stored::link(
        &state.db,
        partner,
        patients,
        state.link_settings(),
        "save",
        actor(&caller, &req),
    )
    .await?;
    state.metrics.record_link("save", &counts);
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
