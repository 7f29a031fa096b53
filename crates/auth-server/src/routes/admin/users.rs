//! `/admin/api/v1/users`: list, create, disable.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ADMIN_SCOPE, api_error};
use crate::error::ApiError;
use crate::routes::{AppState, bearer};
use crate::services::users;

/// A user to create (one who logs in on the authorization pages).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    email: String,
    /// Stored only as an Argon2 hash.
    password: String,
    #[serde(default)]
    email_verified: bool,
}

pub async fn list_users(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    Ok(HttpResponse::Ok().json(users::list(&state.db).await.map_err(api_error)?))
}

pub async fn create_user(
    req: HttpRequest,
    body: web::Json<CreateUserRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    let created = users::add_user(&state.db, &body.email, &body.password, body.email_verified)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn disable_user(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    users::disable(&state.db, &path).await.map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}
