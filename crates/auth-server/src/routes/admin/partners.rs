//! `/admin/api/v1/partners`: list and create.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ADMIN_SCOPE, api_error};
use crate::error::ApiError;
use crate::routes::{AppState, bearer};
use crate::services::clients;

/// A partner (hospital) to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartnerRequest {
    /// Short uppercase code, e.g. `UFH`; its clients' tokens carry it.
    code: String,
    name: String,
}

pub async fn list_partners(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    let list = clients::list_partners(&state.db).await.map_err(api_error)?;
    Ok(HttpResponse::Ok().json(list))
}

pub async fn create_partner(
    req: HttpRequest,
    body: web::Json<CreatePartnerRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    let p = clients::add_partner(&state.db, &body.code, &body.name)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Created().json(p))
}
