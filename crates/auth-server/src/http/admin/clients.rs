//! `/admin/api/v1/clients`: list, create (secret shown once), get,
//! disable, rotate a secret, delete a secret.

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::client_secret::SecretHasher;
use crate::error::ApiError;
use crate::http::{bearer, body};
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
    _admin: bearer::Admin,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(clients::list_clients(&db).await?))
}

pub async fn create_client(
    _admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Database>,
    hasher: web::Data<SecretHasher>,
) -> Result<HttpResponse, ApiError> {
    let b: CreateClientRequest = body::json(&req, payload).await?;
    let created = clients::add_client(
        &db,
        &hasher,
        NewClient {
            partner: b.partner,
            scope: b.scope,
            name: b.name,
            public: b.public,
            redirect_uris: b.redirect_uris,
            owner: None,
            homepage: None,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

pub async fn get_client(
    _admin: bearer::Admin,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(clients::get_client(&db, &path).await?))
}

pub async fn disable_client(
    _admin: bearer::Admin,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    clients::disable_client(&db, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate_secret(
    _admin: bearer::Admin,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Database>,
    hasher: web::Data<SecretHasher>,
) -> Result<HttpResponse, ApiError> {
    let old = body::json_or_default::<RotateSecretRequest>(&req, payload)
        .await?
        .old_expires_in;
    let rotated = client_secrets::rotate(&db, &hasher, &path, old).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(rotated))
}

pub async fn delete_secret(
    _admin: bearer::Admin,
    path: web::Path<(String, String)>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let (id, secret_id) = path.into_inner();
    client_secrets::delete(&db, &id, &secret_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
