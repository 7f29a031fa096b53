//! `GET /oauth/userinfo`: who the user behind a token is, for tokens with
//! scope `profile` issued on a user's behalf.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use idmap_common::error::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use idmap_storage::Database;

use crate::error::{ApiError, method_not_allowed};
use crate::http::bearer;
use crate::services::users;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/userinfo")
            .route(web::get().to(get_userinfo))
            .route(web::post().to(get_userinfo))
            .default_service(method_not_allowed("GET, POST")),
    );
}

/// The claims about the token's user (OpenID Connect Core 5.3.2 names).
#[derive(Serialize, ToSchema)]
pub struct UserInfo {
    /// The user id, the token's `sub`.
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
}

async fn get_userinfo(
    claims: bearer::Profile,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let user = users::find(&db, &claims.sub)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| ApiError::Bearer {
            status: StatusCode::UNAUTHORIZED,
            code: Some(ErrorCode::InvalidToken),
            description: "the token does not belong to an active user".into(),
        })?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(UserInfo {
            sub: user.id,
            email: user.email,
            email_verified: user.email_verified,
        }))
}
