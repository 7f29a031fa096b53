//! The URL map of auth-server, one `configure` per area, and the shared
//! state handlers receive.

pub mod admin;
pub mod authorize;
pub mod bearer;
pub mod body;
pub mod health;
pub mod introspect;
pub mod jwks;
pub mod metadata;
pub mod throttle;
pub mod token;
pub mod user_api;
pub mod userinfo;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::web;
use idmap_storage::Database;
use ipnet::IpNet;

use crate::config::SigningAlg;
use crate::domain::client_secret::SecretHasher;
use crate::error::ApiError;
use crate::keys::KeyStore;
use crate::metrics::AuthMetrics;
use crate::services::access_tokens::LocalVerifier;
use crate::services::mailer::Mailer;
use crate::services::rate_limit::RateLimiter;
use crate::services::token::TokenService;
use crate::web::session::SessionKeys;
use crate::web::templates::Templates;

/// What every handler may use; built once in `startup`.
pub struct AppState {
    pub db: Database,
    pub keys: Arc<KeyStore>,
    pub tokens: TokenService,
    pub metadata: metadata::ServerMetadata,
    pub jwks_max_age: u64,
    pub verifier: LocalVerifier,
    pub limiter: RateLimiter,
    pub trusted_proxies: Vec<IpNet>,
    pub sessions: SessionKeys,
    pub templates: Templates,
    pub implicit_enabled: bool,
    pub hasher: Arc<SecretHasher>,
    /// For key rotation through the admin API.
    pub key_dir: PathBuf,
    pub signing_alg: SigningAlg,
    pub publication_delay: u64,
    /// Counters handlers move, exported at `/metrics`.
    pub metrics: AuthMetrics,
    /// User-center mail (verification and reset links).
    pub mailer: Mailer,
    /// Wrong passwords on the login page, per account and per IP.
    pub login_limiter: RateLimiter,
    /// Mail-sending forms (register, reset, resend), per address and per IP,
    /// so the forms cannot be used to flood a mailbox.
    pub mail_limiter: RateLimiter,
    /// The issuer URL without a trailing slash: the base of mailed links.
    pub base_url: String,
}

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    metadata::configure(cfg);
    jwks::configure(cfg);
    token::configure(cfg);
    authorize::configure(cfg);
    crate::web::accounts::configure(cfg);
    crate::web::applications::configure(cfg);
    crate::web::authorized_tokens::configure(cfg);
    crate::web::static_files::configure(cfg);
    introspect::configure(cfg);
    userinfo::configure(cfg);
    user_api::configure(cfg);
    admin::configure(cfg);
    crate::openapi::configure(cfg);
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
