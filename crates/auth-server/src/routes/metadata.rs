//! `GET /.well-known/oauth-authorization-server` (RFC 8414): what this
//! server implements now, with endpoint URLs built from the issuer.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{AppState, method_not_allowed};
use crate::domain::client_auth::AuthMethod;
use crate::domain::grants::GrantType;
use crate::domain::scopes::Scope;

/// The metadata document; members not implemented yet are absent.
#[derive(Debug, Clone, Serialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    /// REQUIRED by RFC 8414 even without an authorization endpoint; empty
    /// until `response_type=code` exists.
    pub response_types_supported: Vec<&'static str>,
}

impl ServerMetadata {
    /// Builds the document for `issuer` (no trailing slash).
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            token_endpoint: format!("{issuer}/oauth/token"),
            jwks_uri: format!("{issuer}/oauth/jwks.json"),
            grant_types_supported: GrantType::SUPPORTED.iter().map(|g| g.as_str()).collect(),
            token_endpoint_auth_methods_supported: [
                AuthMethod::ClientSecretBasic,
                AuthMethod::ClientSecretPost,
            ]
            .iter()
            .map(|m| m.as_str())
            .collect(),
            scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            response_types_supported: Vec::new(),
        }
    }
}

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/.well-known/oauth-authorization-server")
            .route(web::get().to(get_metadata))
            .route(web::head().to(get_metadata))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

async fn get_metadata(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", state.jwks_max_age),
        ))
        .json(&state.metadata)
}
