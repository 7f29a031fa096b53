//! `/admin/api/v1/partners`: list and create.

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::{bearer, body};
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
    _admin: bearer::Admin,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let list = clients::list_partners(&db).await?;
    Ok(HttpResponse::Ok().json(list))
}

pub async fn create_partner(
    _admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let b: CreatePartnerRequest = body::json(&req, payload).await?;
    let p = clients::add_partner(&db, &b.code, &b.name).await?;
    Ok(HttpResponse::Created().json(p))
}
