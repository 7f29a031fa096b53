//! `/accounts/api/v1/applications` and `/accounts/api/v1/authorized_tokens`:
//! the JSON twins of the pages (list, create with the secret once, view,
//! update, delete; list approvals, withdraw one). Bodies are read after
//! the caller is authenticated.

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth;
use crate::domain::client_secret::SecretHasher;
use crate::error::ApiError;
use crate::http::body;
use crate::services::applications::ApplicationInput;
use crate::services::{applications, consents};

/// An application to register for the calling user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApplicationRequest {
    name: String,
    redirect_uris: Vec<String>,
    /// A public client (authorization code with PKCE; no secret).
    #[serde(default)]
    public: bool,
    /// An https address shown to users on the consent page.
    #[serde(default)]
    homepage: Option<String>,
}

/// New name and redirect URIs of one of the user's applications.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApplicationRequest {
    name: String,
    redirect_uris: Vec<String>,
    /// An https address shown to users on the consent page (absent: none).
    #[serde(default)]
    homepage: Option<String>,
}

fn input(
    name: String,
    redirect_uris: Vec<String>,
    homepage: Option<&str>,
) -> Result<ApplicationInput, ApiError> {
    Ok(ApplicationInput {
        name,
        redirect_uris: applications::redirect_uri_list(redirect_uris)?,
        homepage: applications::parse_homepage(homepage)?,
    })
}

pub async fn list_applications(
    auth::Owner(user): auth::Owner,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let apps = applications::list(&db, &user.id).await?;
    Ok(HttpResponse::Ok().json(apps))
}

pub async fn create_application(
    auth::Owner(user): auth::Owner,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Database>,
    hasher: web::Data<SecretHasher>,
) -> Result<HttpResponse, ApiError> {
    let b: CreateApplicationRequest = body::json(&req, payload).await?;
    let created = applications::register(
        &db,
        &hasher,
        &user,
        input(b.name, b.redirect_uris, b.homepage.as_deref())?,
        b.public,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(created))
}

pub async fn get_application(
    auth::Owner(user): auth::Owner,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let app = applications::get(&db, &user.id, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(app))
}

pub async fn update_application(
    auth::Owner(user): auth::Owner,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let b: UpdateApplicationRequest = body::json(&req, payload).await?;
    let input = input(b.name, b.redirect_uris, b.homepage.as_deref())?;
    if !applications::update(&db, &user, &path, input).await? {
        return Err(ApiError::NotFound);
    }
    get_application(auth::Owner(user), path, db).await
}

pub async fn delete_application(
    auth::Owner(user): auth::Owner,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    if !applications::delete(&db, &user.id, &path).await? {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_authorized(
    auth::Owner(user): auth::Owner,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let list = consents::list(&db, &user.id).await?;
    Ok(HttpResponse::Ok().json(list))
}

pub async fn revoke_authorized(
    auth::Owner(user): auth::Owner,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    if !consents::revoke(&db, &user.id, &path).await? {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
