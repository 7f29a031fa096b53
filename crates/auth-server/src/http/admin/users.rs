//! `/admin/api/v1/users`: list, create, disable (which also revokes every
//! refresh-token family of the user).

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::{bearer, body};
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
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(users::list(&db).await?))
}

pub async fn create_user(
    _admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let b: CreateUserRequest = body::json(&req, payload).await?;
    let created = users::add_user(&db, &b.email, &b.password, b.email_verified).await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn disable_user(
    _admin: bearer::Admin,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    users::disable(&db, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
