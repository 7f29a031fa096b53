//! What the JSON and OAuth handlers receive, one struct per audience, each
//! registered as its own `web::Data` so a handler takes only what it uses.
//! Pieces every audience shares are registered on their own: the
//! `Database`, the `AuthMetrics`, the `SecretHasher` and the page
//! `Templates`; the pages' state is `pages::state::PagesState`.

use std::path::PathBuf;
use std::sync::Arc;

use ipnet::IpNet;

use crate::config::SigningAlg;
use crate::keys::KeyStore;
use crate::services::access_tokens::LocalVerifier;
use crate::services::metadata::ServerMetadata;
use crate::services::rate_limit::RateLimiter;
use crate::services::token::TokenService;

/// The OAuth endpoints: token, introspection, revocation, authorization,
/// keys and metadata.
pub struct OAuthState {
    pub tokens: TokenService,
    pub verifier: LocalVerifier,
    pub keys: Arc<KeyStore>,
    pub metadata: ServerMetadata,
    pub jwks_max_age: u64,
    pub implicit_enabled: bool,
    /// Failed client authentications, per client id and per IP.
    pub client_limiter: RateLimiter,
    /// The login form's limiter: the password grant counts into it too, so
    /// the two together give a guesser no more tries than the form alone.
    pub login_limiter: Arc<RateLimiter>,
    pub trusted_proxies: Vec<IpNet>,
}

/// The admin API's key rotation.
pub struct AdminState {
    pub keys: Arc<KeyStore>,
    pub key_dir: PathBuf,
    pub signing_alg: SigningAlg,
    pub publication_delay: u64,
}
