//! The URL map of auth-server, one `configure` per area, and the shared
//! state handlers receive.

pub mod health;
pub mod jwks;
pub mod metadata;
pub mod token;

use std::sync::Arc;

use actix_web::web;
use idmap_storage::Database;

use crate::error::ApiError;
use crate::keys::KeyStore;
use crate::services::token::TokenService;

/// What every handler may use; built once in `startup`.
pub struct AppState {
    pub db: Database,
    pub keys: Arc<KeyStore>,
    pub tokens: TokenService,
    pub metadata: metadata::ServerMetadata,
    pub jwks_max_age: u64,
}

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    metadata::configure(cfg);
    jwks::configure(cfg);
    token::configure(cfg);
}

/// Fallback for unknown paths.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A resource's fallback for methods it does not serve.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move || async move {
        Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed { allow })
    })
}
