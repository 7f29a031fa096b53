//! `/admin/api/v1/groups/members`: add a user to a partner's group with a
//! role (`member` or `partner_admin`); the group is created on first use.

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::{bearer, body};
use crate::services::groups;

/// A user to put in a partner's group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// Partner code, e.g. `UFH`.
    partner: String,
    /// User id or e-mail address.
    user: String,
    /// `member` (the default) or `partner_admin`.
    #[serde(default = "default_role")]
    role: String,
}

fn default_role() -> String {
    "member".into()
}

pub async fn add_member(
    _admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let b: AddMemberRequest = body::json(&req, payload).await?;
    let added = groups::add_member(&db, &b.partner, &b.user, &b.role).await?;
    Ok(HttpResponse::Ok().json(added))
}
