//! auth-server's own Prometheus metrics, registered in the application's
//! `idmap_web::Metrics` next to the shared HTTP and database ones:
//!
//! | metric | type | labels | meaning |
//! | --- | --- | --- | --- |
//! | `auth_tokens_issued_total` | counter | `grant` (`client_credentials`, `authorization_code`, `refresh_token`, `password`, `implicit`) | access tokens issued |
//! | `auth_token_errors_total` | counter | `error` (the `error` code of the answer) | token requests refused |
//! | `auth_introspections_total` | counter | `result` (`active`, `inactive`) | introspection answers |
//! | `auth_jwks_requests_total` | counter | | JWKS documents served |
//! | `auth_jwks_keys` | gauge | | keys published in the JWKS |
//! | `auth_db_errors_total` | counter | `kind` (`unavailable`, `storage_exhausted`, `capacity_exhausted`, `other`) | failed database calls answered to a client |
//! | `auth_db_writes_failing` | gauge | | 1 while writes fail for lack of storage (readiness is 503 meanwhile) |
//! | `auth_db_pool_connections` | gauge | `state` (`in_use`, `idle`) | pooled connections |
//! | `auth_db_pool_max_connections` | gauge | | `AUTH_DB_POOL_SIZE` |
//!
//! The database rows are `idmap_web::DbMetrics` (shared with idmap-server),
//! fed by [`db_error_kind`]. Key and pool figures are read at scrape time.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use idmap_storage::{ErrorKind, Exhaustion, StorageError};
use idmap_web::Metrics;
use idmap_web::metrics::prometheus::{self, IntCounter, IntCounterVec};

use crate::error::ApiError;
use crate::keys::KeyStore;
use crate::services::token::TokenError;
use idmap_common::clock::now_unix;

/// Every `grant` label value, present from the start so that rates of a
/// grant nobody used yet read 0 rather than nothing.
pub const GRANTS: [&str; 5] = [
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "password",
    "implicit",
];

/// The counters handlers move; gauges live in scrape hooks.
#[derive(Clone)]
pub struct AuthMetrics {
    tokens_issued: IntCounterVec,
    token_errors: IntCounterVec,
    introspections: IntCounterVec,
    jwks_served: IntCounter,
}

impl AuthMetrics {
    /// Registers every auth-server metric in `m` and the scrape hook that
    /// counts the published keys.
    pub fn register(m: &Metrics, keys: Arc<KeyStore>) -> prometheus::Result<Self> {
        let this = Self {
            tokens_issued: m.counter_vec(
                "auth_tokens_issued_total",
                "Access tokens issued, by grant",
                &["grant"],
            )?,
            token_errors: m.counter_vec(
                "auth_token_errors_total",
                "Token requests refused, by the error code answered",
                &["error"],
            )?,
            introspections: m.counter_vec(
                "auth_introspections_total",
                "Introspection answers, by whether the token was active",
                &["result"],
            )?,
            jwks_served: m.counter("auth_jwks_requests_total", "JWKS documents served")?,
        };
        for grant in GRANTS {
            this.tokens_issued.with_label_values(&[grant]);
        }
        for result in ["active", "inactive"] {
            this.introspections.with_label_values(&[result]);
        }
        let published = m.gauge("auth_jwks_keys", "Keys currently published in the JWKS")?;
        m.on_scrape(move || {
            let n = keys.current().published_at(now_unix()).len();
            published.set(i64::try_from(n).unwrap_or(i64::MAX));
        });
        Ok(this)
    }

    /// Counts an access token issued through `grant` (one of [`GRANTS`]).
    pub fn token_issued(&self, grant: &str) {
        self.tokens_issued.with_label_values(&[grant]).inc();
    }

    /// Counts a token request answered with the OAuth `error` code.
    pub fn token_refused(&self, error: &str) {
        self.token_errors.with_label_values(&[error]).inc();
    }

    /// Counts one introspection answer.
    pub fn introspected(&self, active: bool) {
        let result = if active { "active" } else { "inactive" };
        self.introspections.with_label_values(&[result]).inc();
    }

    /// Counts one JWKS document served.
    pub fn jwks_served(&self) {
        self.jwks_served.inc();
    }
}

/// Middleware of `/oauth/token`: counts every refusal by the `error` code
/// it answered, whichever step refused (the form extractor and the rate
/// limiter as well as the grant), from the `TokenError` actix keeps on the
/// response.
pub async fn count_token_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<AuthMetrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics
        && let Some(e) = res
            .response()
            .error()
            .and_then(|e| e.as_error::<TokenError>())
    {
        metrics.token_refused(e.wire_code());
    }
    Ok(res)
}

/// The `kind` of `auth_db_errors_total` for an error response. Pages and
/// JSON APIs answer every database failure as `ApiError::Unavailable` (503)
/// or, for an unexpected one, `ApiError::Internal` around the storage error
/// (500); the OAuth endpoints as `TokenError::Storage`.
pub fn db_error_kind(e: &actix_web::Error) -> Option<&'static str> {
    if let Some(e) = e.as_error::<TokenError>() {
        return match e {
            TokenError::Storage(s) => Some(storage_kind(s)),
            _ => None,
        };
    }
    match e.as_error::<ApiError>()? {
        ApiError::Unavailable => Some("unavailable"),
        ApiError::Exhausted(x) => Some(exhaustion_kind(*x)),
        ApiError::Internal(source) => source.downcast_ref::<StorageError>().map(storage_kind),
        _ => None,
    }
}

fn storage_kind(e: &StorageError) -> &'static str {
    match (e.exhaustion(), e.kind()) {
        (Some(x), _) => exhaustion_kind(x),
        (None, ErrorKind::Unavailable) => "unavailable",
        (None, _) => "other",
    }
}

fn exhaustion_kind(x: Exhaustion) -> &'static str {
    match x {
        Exhaustion::Storage => "storage_exhausted",
        Exhaustion::Capacity => "capacity_exhausted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oauth_error::OAuthError;

    fn kind(e: impl Into<actix_web::Error>) -> Option<&'static str> {
        db_error_kind(&e.into())
    }

    #[test]
    fn database_failures_are_classified_and_other_errors_ignored() {
        let down = || StorageError::Unavailable("connection refused".into());
        assert_eq!(kind(TokenError::Storage(down())), Some("unavailable"));
        assert_eq!(
            kind(TokenError::Storage(StorageError::Config("x".into()))),
            Some("other")
        );
        assert_eq!(kind(ApiError::Unavailable), Some("unavailable"));
        assert_eq!(kind(ApiError::internal(down())), Some("unavailable"));
        assert_eq!(
            kind(ApiError::internal(StorageError::Migration("x".into()))),
            Some("other")
        );
        assert_eq!(kind(TokenError::OAuth(OAuthError::invalid_client())), None);
        assert_eq!(kind(ApiError::NotFound), None);
        assert_eq!(kind(ApiError::internal(std::fmt::Error)), None);
    }
}
