//! Protect an actix-web service with idmap access tokens in a few lines.
//!
//! Register a [`Verifier`](idmap_common::verifier::Verifier) as app data
//! through [`BearerAuth`] (it validates tokens locally against the issuer's
//! cached JWKS), then ask for [`BearerClaims`] (any valid token) or
//! [`RequireScope<S>`] (a valid token carrying the scope `S::SCOPE`) in a
//! handler's arguments. Failures answer as RFC 6750 says: 401 with
//! `WWW-Authenticate: Bearer realm=...` (plus `error="invalid_token"` for a
//! bad token, an empty `Bearer ` or two `Authorization` headers), 403
//! `insufficient_scope`, and 503 while no keys have been loaded yet. The
//! body is the JSON error envelope of every idmap service.
//!
//! A service with an error type of its own names it as the extractors'
//! second parameter (`RequireScope<S, MyError>` where
//! `MyError: From<AuthError>`), so the failure is answered in its envelope
//! while the decision stays here.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use idmap_actix_auth::{BearerAuth, BearerClaims, RequireScope, ScopeName};
//! use idmap_common::verifier::{Verifier, VerifierConfig};
//!
//! struct ReadScope;
//! impl ScopeName for ReadScope {
//!     const SCOPE: &'static str = "idmap:read";
//! }
//!
//! async fn whoami(claims: BearerClaims) -> String {
//!     claims.sub.clone()
//! }
//!
//! async fn report(auth: RequireScope<ReadScope>) -> String {
//!     format!("client {} may read", auth.client_id)
//! }
//!
//! # async fn run() -> anyhow::Result<()> {
//! let verifier = Verifier::new(VerifierConfig::new("http://127.0.0.1:8081", "idmap"))?;
//! let _refresh = verifier.spawn_refresh_task();
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(BearerAuth::from(verifier.clone()))
//!         .route("/whoami", web::get().to(whoami))
//!         .route("/report", web::get().to(report))
//! })
//! .bind("127.0.0.1:8090")?
//! .run()
//! .await?;
//! # Ok(())
//! # }
//! ```

mod edge;
mod error;
mod extract;

pub use edge::{BearerAuth, Rejected, TokenVerifier, Verdict, authenticate};
pub use error::{AuthError, Invalid};
pub use extract::{BearerClaims, RequireScope, ScopeName};
