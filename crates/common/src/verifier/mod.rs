//! Local validation of our access tokens (RFC 9068 JWTs) against the
//! issuer's JWKS, for idmap-server and any internal Rust service.
//!
//! Resource servers must not call auth-server per request and must keep
//! working while it is down, so the JWKS is cached: loaded by a background
//! task as soon as the issuer answers, refreshed when its `Cache-Control`
//! says, and refetched once (single-flight, rate-limited) when a token names
//! a `kid` we do not know, which is how a freshly rotated key is picked up.
//! A failed fetch never drops the keys we hold.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use idmap_common::verifier::{Verifier, VerifierConfig};
//!
//! let verifier = Verifier::new(VerifierConfig::new("http://127.0.0.1:8081", "idmap"))?;
//! let _refresh = verifier.spawn_refresh_task();
//! match verifier.verify("eyJ...").await {
//!     Ok(claims) => println!("client {}", claims.client_id),
//!     Err(err) if err.is_temporary() => println!("503: {err}"),
//!     Err(err) => println!("401 invalid_token: {err}"),
//! }
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod fetch;
mod jwks;
mod seen;
mod token;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

pub use config::VerifierConfig;
pub use error::{ConfigError, JwksError, VerifyError};
/// Re-exported so callers can set [`VerifierConfig::algorithms`] without
/// depending on `jsonwebtoken` themselves.
pub use jsonwebtoken::Algorithm;
pub use token::{ClaimRules, MAX_TOKEN_BYTES, UnverifiedToken};

use crate::claims::AccessClaims;
use jwks::KeySet;

/// First retry delay of the refresh task while the issuer is unreachable.
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Longest retry delay, so that a recovered issuer is noticed within it.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Verifies access tokens; clone it freely, clones share one key cache.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: VerifierConfig,
    client: reqwest::Client,
    /// Swapped whole on every successful fetch, so a verification always
    /// sees one consistent JWKS.
    keys: RwLock<Option<Arc<KeySet>>>,
    /// Held for the whole of a fetch: this is what makes fetches
    /// single-flight.
    fetch: tokio::sync::Mutex<FetchState>,
    /// Counts fetches begun, so a waiter can tell whether one started after
    /// it asked (and then reuse its result instead of fetching again).
    fetches_started: AtomicU64,
    refreshes_ok: AtomicU64,
    refreshes_failed: AtomicU64,
    unknown_kid_refetches: AtomicU64,
    /// Tokens whose signature already passed (see `seen`).
    seen: seen::Seen,
}

struct FetchState {
    /// From the configuration, or discovered once and then kept.
    jwks_url: Option<String>,
    last_on_demand: Option<Instant>,
}

/// Counters for metrics; counts are since the verifier was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifierStats {
    /// JWKS fetches that replaced the cached keys.
    pub refreshes_ok: u64,
    /// JWKS fetches that failed and left the cached keys in place.
    pub refreshes_failed: u64,
    /// Fetches triggered by a token with an unknown `kid` (also counted in
    /// one of the two above).
    pub unknown_kid_refetches: u64,
    /// Keys currently cached.
    pub keys: usize,
}

impl Verifier {
    /// Checks the configuration; no network traffic happens here, so a
    /// service can start before auth-server does.
    pub fn new(config: VerifierConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let client = reqwest::Client::builder()
            .timeout(config.http_timeout)
            .connect_timeout(config.http_timeout)
            .user_agent(concat!("idmap-verifier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::HttpClient)?;
        let jwks_url = config.jwks_url.clone();
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                client,
                keys: RwLock::new(None),
                fetch: tokio::sync::Mutex::new(FetchState {
                    jwks_url,
                    last_on_demand: None,
                }),
                fetches_started: AtomicU64::new(0),
                refreshes_ok: AtomicU64::new(0),
                refreshes_failed: AtomicU64::new(0),
                unknown_kid_refetches: AtomicU64::new(0),
                seen: seen::Seen::default(),
            }),
        })
    }

    /// The settings this verifier enforces, e.g. for a `WWW-Authenticate`
    /// realm or start-up log.
    pub fn config(&self) -> &VerifierConfig {
        &self.inner.config
    }

    /// Validates a bearer token and returns its claims; scope and partner
    /// checks are left to the caller because they differ per endpoint.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        let parsed = UnverifiedToken::parse(token, &self.inner.config.algorithms)?;
        let keys = self.keys_with(parsed.kid()).await?;
        let key = keys.get(parsed.kid()).ok_or(VerifyError::UnknownKey)?;
        if !self.inner.seen.contains(token, keys.generation()) {
            parsed.verify_signature(key.algorithm, &key.key)?;
            self.inner.seen.insert(token, keys.generation());
        }
        parsed.claims(&self.inner.config.claim_rules(), crate::clock::now_unix())
    }

    /// Whether a JWKS has been loaded at least once: the readiness signal
    /// for a resource server's `/health/ready`.
    pub fn is_ready(&self) -> bool {
        self.current_keys().is_some()
    }

    /// A snapshot of the counters for `/metrics`.
    pub fn stats(&self) -> VerifierStats {
        let inner = &self.inner;
        VerifierStats {
            refreshes_ok: inner.refreshes_ok.load(Ordering::Relaxed),
            refreshes_failed: inner.refreshes_failed.load(Ordering::Relaxed),
            unknown_kid_refetches: inner.unknown_kid_refetches.load(Ordering::Relaxed),
            keys: self.current_keys().map_or(0, |keys| keys.len()),
        }
    }

    /// Fetches the JWKS now, bypassing the unknown-kid rate limit, and
    /// returns how long the result may be cached. For start-up code that
    /// wants to wait for keys, and for the refresh task.
    pub async fn refresh(&self) -> Result<Duration, JwksError> {
        let mut state = self.inner.fetch.lock().await;
        self.fetch_locked(&mut state).await
    }

    /// Starts the task that loads the JWKS as soon as the issuer answers
    /// (retrying with backoff, up to every 30 s) and then refreshes it when
    /// its cache lifetime ends. Must be called inside a Tokio runtime. The
    /// task holds no strong reference between
    /// rounds, so it ends by itself once every clone of the verifier is
    /// dropped; abort the handle to stop it sooner.
    pub fn spawn_refresh_task(&self) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut retry = FIRST_RETRY;
            loop {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let wait = match (Verifier { inner }).refresh().await {
                    Ok(lifetime) => {
                        retry = FIRST_RETRY;
                        lifetime
                    }
                    Err(_) => {
                        let wait = retry;
                        retry = retry.saturating_mul(2).min(MAX_RETRY);
                        wait
                    }
                };
                tokio::time::sleep(wait).await;
            }
        })
    }

    fn current_keys(&self) -> Option<Arc<KeySet>> {
        self.inner
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The cached key set if it holds `kid`; otherwise one on-demand fetch
    /// (shared with concurrent callers, rate-limited) and a second look.
    async fn keys_with(&self, kid: &str) -> Result<Arc<KeySet>, VerifyError> {
        if let Some(keys) = self.current_keys()
            && keys.get(kid).is_some()
        {
            return Ok(keys);
        }
        self.fetch_on_demand().await;
        match self.current_keys() {
            None => Err(VerifyError::KeysUnavailable),
            Some(keys) if keys.get(kid).is_some() => Ok(keys),
            Some(_) => Err(VerifyError::UnknownKey),
        }
    }

    async fn fetch_on_demand(&self) {
        let inner = &self.inner;
        let seen = inner.fetches_started.load(Ordering::Acquire);
        let mut state = inner.fetch.lock().await;
        // Holding the lock means no fetch is running; if one began after we
        // asked, its result is as fresh as ours would be.
        if inner.fetches_started.load(Ordering::Acquire) != seen {
            return;
        }
        let interval = inner.config.unknown_kid_min_interval;
        if state
            .last_on_demand
            .is_some_and(|last| last.elapsed() < interval)
        {
            return;
        }
        state.last_on_demand = Some(Instant::now());
        inner.unknown_kid_refetches.fetch_add(1, Ordering::Relaxed);
        // Failures are logged and counted inside; the caller only needs to
        // look at the cache again.
        let _ = self.fetch_locked(&mut state).await;
    }

    /// One fetch (discovery first if needed); the caller holds the lock.
    async fn fetch_locked(&self, state: &mut FetchState) -> Result<Duration, JwksError> {
        let inner = &self.inner;
        inner.fetches_started.fetch_add(1, Ordering::AcqRel);
        let result = async {
            let url = match &state.jwks_url {
                Some(url) => url.clone(),
                None => {
                    let url = fetch::discover_jwks_url(&inner.client, &inner.config).await?;
                    state.jwks_url = Some(url.clone());
                    url
                }
            };
            fetch::fetch_jwks(&inner.client, &inner.config, &url).await
        }
        .await;
        match result {
            Ok(fetched) => {
                let count = fetched.keys.len();
                let previous = inner
                    .keys
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .replace(Arc::new(fetched.keys));
                inner.refreshes_ok.fetch_add(1, Ordering::Relaxed);
                let cache_seconds = fetched.lifetime.as_secs();
                if previous.is_none() {
                    tracing::info!(keys = count, cache_seconds, "JWKS loaded; verifier ready");
                } else {
                    tracing::debug!(keys = count, cache_seconds, "JWKS refreshed");
                }
                Ok(fetched.lifetime)
            }
            Err(err) => {
                inner.refreshes_failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    issuer = %inner.config.issuer,
                    keys_kept = self.current_keys().map_or(0, |keys| keys.len()),
                    error = %err,
                    "JWKS fetch failed; keeping cached keys"
                );
                Err(err)
            }
        }
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.config.issuer)
            .field("audience", &self.inner.config.audience)
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn verifier_is_send_sync_and_clone() {
        assert_send_sync::<Verifier>();
    }

    #[tokio::test]
    async fn without_keys_a_well_formed_token_is_a_temporary_error() {
        // Port 9 (discard) is closed on loopback: the on-demand fetch fails
        // fast and the answer must be "not available", not "invalid".
        let mut config = VerifierConfig::new("http://127.0.0.1:9", "idmap");
        config.http_timeout = Duration::from_millis(500);
        let verifier = Verifier::new(config).unwrap();
        let header = r#"{"alg":"RS256","typ":"at+jwt","kid":"k"}"#;
        let token = format!(
            "{}.e30.c2ln",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
        );
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err, VerifyError::KeysUnavailable);
        assert!(err.is_temporary());
        assert!(!verifier.is_ready());
        let stats = verifier.stats();
        assert_eq!(
            (stats.refreshes_failed, stats.unknown_kid_refetches),
            (1, 1)
        );
    }
}
