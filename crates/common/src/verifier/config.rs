//! Settings of the verifier. Defaults follow the deployment in the design:
//! tokens live an hour, keys rotate with a publication delay, so a few
//! minutes of JWKS caching and half a minute of clock leeway are safe.

use std::time::Duration;

use jsonwebtoken::{Algorithm, AlgorithmFamily};

use super::error::ConfigError;
use super::token::ClaimRules;

/// What the verifier accepts and how it keeps its JWKS fresh.
///
/// Fields are public so callers can adjust single values after
/// [`VerifierConfig::new`]; [`Verifier::new`](super::Verifier::new) checks
/// the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Exact `iss` value; also where metadata is discovered.
    pub issuer: String,
    /// A value that must appear in `aud` (string or array).
    pub audience: String,
    /// Fetch the JWKS here instead of discovering it, for deployments where
    /// the public issuer URL is not reachable from inside (behind nginx).
    pub jwks_url: Option<String>,
    /// Header `alg` values accepted; HMAC is refused at construction.
    pub algorithms: Vec<Algorithm>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// At most one unknown-`kid` refetch per this interval, so that tokens
    /// with made-up key ids cannot turn us into a load generator.
    pub unknown_kid_min_interval: Duration,
    /// Cache lifetime when the JWKS response has no usable `max-age`.
    pub default_cache_lifetime: Duration,
    /// Floor for `max-age`, so a misconfigured `max-age=0` cannot make us
    /// refetch in a tight loop.
    pub min_cache_lifetime: Duration,
    /// Ceiling for `max-age`, so a rotated key is picked up within a day
    /// even if the issuer announces a year.
    pub max_cache_lifetime: Duration,
    /// Per-request timeout of metadata and JWKS fetches.
    pub http_timeout: Duration,
}

impl VerifierConfig {
    /// Defaults for our own issuer: RS256, ES256 and EdDSA, 30 s leeway,
    /// 10 s between unknown-kid refetches, 300 s cache (5 s .. 1 day), 5 s
    /// HTTP timeout, JWKS found through discovery.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: None,
            algorithms: vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA],
            leeway: Duration::from_secs(30),
            unknown_kid_min_interval: Duration::from_secs(10),
            default_cache_lifetime: Duration::from_secs(300),
            min_cache_lifetime: Duration::from_secs(5),
            max_cache_lifetime: Duration::from_secs(24 * 60 * 60),
            http_timeout: Duration::from_secs(5),
        }
    }

    /// The claim rules these settings stand for.
    pub fn claim_rules(&self) -> ClaimRules<'_> {
        ClaimRules {
            issuer: &self.issuer,
            audience: Some(&self.audience),
            leeway: self.leeway,
        }
    }

    /// Refuses settings that would weaken verification or cannot work.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        if let Some(alg) = self
            .algorithms
            .iter()
            .find(|alg| alg.family() == AlgorithmFamily::Hmac)
        {
            return Err(ConfigError::SymmetricAlgorithm(*alg));
        }
        if !is_http_url(&self.issuer) {
            return Err(ConfigError::InvalidIssuer);
        }
        if self.audience.is_empty() {
            return Err(ConfigError::EmptyAudience);
        }
        if self
            .jwks_url
            .as_deref()
            .is_some_and(|url| !is_http_url(url))
        {
            return Err(ConfigError::InvalidJwksUrl);
        }
        if self.min_cache_lifetime > self.max_cache_lifetime {
            return Err(ConfigError::CacheBounds);
        }
        Ok(())
    }

    /// Where RFC 8414 metadata lives for an issuer without a path, which is
    /// how our auth-server is deployed.
    pub(crate) fn metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-authorization-server",
            self.issuer.trim_end_matches('/')
        )
    }
}

pub(crate) fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_asymmetric_only() {
        let config = VerifierConfig::new("http://127.0.0.1:8081", "idmap");
        assert!(config.validate().is_ok());
        assert!(
            config
                .algorithms
                .iter()
                .all(|alg| alg.family() != AlgorithmFamily::Hmac)
        );
    }

    #[test]
    fn hmac_and_empty_algorithm_lists_are_refused() {
        let mut config = VerifierConfig::new("http://issuer", "idmap");
        config.algorithms.push(Algorithm::HS256);
        assert!(matches!(
            config.validate(),
            Err(ConfigError::SymmetricAlgorithm(Algorithm::HS256))
        ));
        config.algorithms.clear();
        assert!(matches!(config.validate(), Err(ConfigError::NoAlgorithms)));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(matches!(
            VerifierConfig::new("issuer", "idmap").validate(),
            Err(ConfigError::InvalidIssuer)
        ));
        let mut config = VerifierConfig::new("https://issuer", "idmap");
        config.jwks_url = Some("file:///etc/passwd".into());
        assert!(matches!(
            config.validate(),
            Err(ConfigError::InvalidJwksUrl)
        ));
    }

    #[test]
    fn metadata_url_ignores_a_trailing_slash() {
        let config = VerifierConfig::new("http://issuer:8081/", "idmap");
        assert_eq!(
            config.metadata_url(),
            "http://issuer:8081/.well-known/oauth-authorization-server"
        );
    }
}
