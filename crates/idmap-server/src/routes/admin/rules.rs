//! `POST /api/v1/admin/rules` `{"code": "F_L_D_X", "description": "..."}`:
//! registers a rule code (201; 409 when it exists). This instance accepts it
//! at once; other replicas on the first request naming it (their cache
//! reloads at most every 2 s on an unknown code) and at the latest after
//! 30 s.

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_common::ids::RuleCode;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Authorized};
use crate::db::admin;
use crate::error::ApiError;
use crate::routes::body::read_json;
use crate::routes::{actor, method_not_allowed};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/admin/rules")
            .route(web::post().to(post_rule))
            .default_service(web::to(method_not_allowed)),
    );
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub code: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleResponse {
    pub code: String,
    pub description: String,
}

pub async fn post_rule(
    state: web::Data<AppState>,
    caller: Authorized<auth::Admin>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let request: RuleRequest = read_json(&req, body).await?;
    let code =
        RuleCode::parse(&request.code).map_err(|e| ApiError::BadRequest(format!("code {e}")))?;
    if request.description.chars().count() > 255 {
        return Err(ApiError::BadRequest(
            "description is longer than 255 characters".into(),
        ));
    }
    let created = admin::register_rule(
        &state.db,
        code.as_str().to_owned(),
        request.description.clone(),
        actor(&caller, &req),
    )
    .await?;
    if !created {
        return Err(ApiError::Conflict(format!(
            "rule {} is registered already",
            code.as_str()
        )));
    }
    state.rules.invalidate();
    Ok(HttpResponse::Created().json(RuleResponse {
        code: code.as_str().to_owned(),
        description: request.description,
    }))
}
