//! `/admin/api/v1/keys`: list the signing keys with their schedule, and
//! rotate (the new key is published now and signs after the publication
//! delay, or at once with `{"now": true}`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::state::AdminState;
use crate::http::{bearer, body};
use crate::keys;
use idmap_common::clock::now_unix;

/// When the new key starts signing.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    /// Emergency: sign with the new key at once instead of after the
    /// publication delay.
    #[serde(default)]
    now: bool,
}

pub async fn list_keys(
    _admin: bearer::Admin,
    rotation: web::Data<AdminState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(rotation.keys.current().views(now_unix())))
}

pub async fn rotate_key(
    _admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    rotation: web::Data<AdminState>,
) -> Result<HttpResponse, ApiError> {
    let now = body::json_or_default::<RotateKeyRequest>(&req, payload)
        .await?
        .now;
    let delay = if now { 0 } else { rotation.publication_delay };
    let activates_at = now_unix().saturating_add(i64::try_from(delay).unwrap_or(0));
    let (dir, alg) = (rotation.key_dir.clone(), rotation.signing_alg);
    let store = rotation.keys.clone();
    tokio::task::spawn_blocking(move || {
        keys::rotate(&dir, alg, activates_at)?;
        store.reload()
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(rotation.keys.current().views(now_unix())))
}
