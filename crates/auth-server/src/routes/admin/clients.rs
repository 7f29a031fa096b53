//! `/admin/api/v1/clients`: list, create (secret shown once), get,
//! disable, rotate a secret, delete a secret.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ADMIN_SCOPE, api_error};
use crate::error::ApiError;
use crate::routes::{AppState, bearer};
use crate::services::client_secrets;
use crate::services::clients::{self, NewClient};

/// A client to register (the same choices as `admin client add`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    /// Partner code; without it the client is an internal one.
    partner: Option<String>,
    /// Space-separated scopes, e.g. `idmap:link`.
    scope: String,
    name: Option<String>,
    /// A public client (authorization code with PKCE; no secret).
    #[serde(default)]
    public: bool,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

/// How long the old secrets stay valid after a rotation.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// Seconds; without it the old secrets stay valid until retired.
    old_expires_in: Option<u64>,
}

pub async fn list_clients(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    Ok(HttpResponse::Ok().json(clients::list_clients(&state.db).await.map_err(api_error)?))
}

pub async fn create_client(
    req: HttpRequest,
    body: web::Json<CreateClientRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    let b = body.into_inner();
    let created = clients::add_client(
        &state.db,
        &state.hasher,
        NewClient {
            partner: b.partner,
            scope: b.scope,
            name: b.name,
            public: b.public,
            redirect_uris: b.redirect_uris,
            owner: None,
        },
    )
    .await
    .map_err(api_error)?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

pub async fn get_client(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    Ok(HttpResponse::Ok().json(
        clients::get_client(&state.db, &path)
            .await
            .map_err(api_error)?,
    ))
}

pub async fn disable_client(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    clients::disable_client(&state.db, &path)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate_secret(
    req: HttpRequest,
    path: web::Path<String>,
    body: Option<web::Json<RotateSecretRequest>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    let old = body
        .map(|b| b.into_inner())
        .unwrap_or_default()
        .old_expires_in;
    let rotated = client_secrets::rotate(&state.db, &state.hasher, &path, old)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(rotated))
}

pub async fn delete_secret(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    bearer::require(&state, &req, ADMIN_SCOPE).await?;
    let (id, secret_id) = path.into_inner();
    client_secrets::delete(&state.db, &id, &secret_id)
        .await
        .map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}
