//! `POST /api/v1/admin/merges` `{"from": A, "into": B}`: from now on every
//! hash and ref of A answers B (or B's survivor when B was merged itself).
//! Merging A twice, or closing a cycle, is a 409; unknown UUIDs are a 404.

use actix_web::{HttpResponse, web};
use idmap_common::LinkUuid;
use serde::{Deserialize, Serialize};

use super::AdminCall;
use crate::db::merges;
use crate::domain::merge::MergeRefusal;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/merges").route(web::post().to(post_merge)));
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub from: String,
    pub into: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MergeResponse {
    pub from: String,
    /// The survivor `from` answers now.
    pub into: String,
    pub requested_into: String,
    pub merged_at: i64,
}

pub async fn post_merge(
    state: web::Data<AppState>,
    call: AdminCall,
) -> Result<HttpResponse, ApiError> {
    let request: MergeRequest = call.body.json().await?;
    let parse = |field: &str, v: &str| {
        LinkUuid::parse(v).ok_or_else(|| ApiError::BadRequest(format!("{field} is not a UUID")))
    };
    let from = parse("from", &request.from)?;
    let into = parse("into", &request.into)?;
    match merges::merge(&state.db, from, into, call.actor).await? {
        Ok(m) => Ok(HttpResponse::Ok().json(MergeResponse {
            from: m.from.hyphenated(),
            into: m.into.hyphenated(),
            requested_into: m.requested_into.hyphenated(),
            merged_at: m.merged_at,
        })),
        Err(MergeRefusal::SameUuid) => Err(ApiError::BadRequest(
            "from and into are the same UUID".into(),
        )),
        Err(MergeRefusal::Unknown(_)) => Err(ApiError::NotFound),
        Err(MergeRefusal::AlreadyMerged { into }) => Err(ApiError::Conflict(format!(
            "{} was merged already; it answers {}",
            from.hyphenated(),
            into.hyphenated()
        ))),
        Err(MergeRefusal::Cycle) => Err(ApiError::Conflict(format!(
            "{} already answers {}: merging would make a cycle",
            into.hyphenated(),
            from.hyphenated()
        ))),
    }
}
