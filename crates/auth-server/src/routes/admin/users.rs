//! `/admin/api/v1/users`: list, create, disable (which also revokes every
//! refresh-token family of the user).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::{AppState, bearer, body};
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
    _admin: bearer::Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(users::list(&state.db).await?))
}

pub async fn create_user(
    _admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: CreateUserRequest = body::json(&req, payload).await?;
    let created = users::add_user(&state.db, &b.email, &b.password, b.email_verified).await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn disable_user(
    _admin: bearer::Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    users::disable(&state.db, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
