//! Our own access tokens, checked locally with the shared token rules of
//! `idmap_common::verifier` and this server's key store as the key source:
//! for introspection (any audience) and, through the shared bearer edge,
//! for this server's own protected endpoints (our audience only, and not
//! revoked). Revocation is read from the in-memory snapshot of
//! [`Credentials`], the one place it is read, with its staleness bound.

use std::sync::Arc;

use super::credentials::Credentials;
use crate::keys::KeyStore;
use idmap_actix_auth::{Rejected, TokenVerifier, Verdict};
use idmap_common::claims::AccessClaims;
use idmap_common::verifier::{Algorithm, ClaimRules, UnverifiedToken, VerifyError};

/// Every algorithm we can sign with; a token's `alg` must also be its key's.
const ALGORITHMS: &[Algorithm] = &[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Checks tokens this server signed.
#[derive(Clone)]
pub struct LocalVerifier {
    keys: Arc<KeyStore>,
    issuer: String,
    credentials: Credentials,
}

impl LocalVerifier {
    pub fn new(keys: Arc<KeyStore>, issuer: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            credentials,
        }
    }

    /// Signature, header and claim rules for a token of any audience (no
    /// database): what introspection reports on.
    pub fn verify_signature(&self, token: &str) -> Option<AccessClaims> {
        self.check(token, None).ok()
    }

    /// The shared rules with our keys. No leeway: the clock that issued the
    /// token is the one checking it.
    fn check(&self, token: &str, audience: Option<&str>) -> Result<AccessClaims, VerifyError> {
        let parsed = UnverifiedToken::parse(token, ALGORITHMS)?;
        let key = self
            .keys
            .verification_key(parsed.kid())
            .ok_or(VerifyError::UnknownKey)?;
        parsed.verify_signature(key.alg.algorithm(), key.decoding_key())?;
        let rules = ClaimRules {
            issuer: &self.issuer,
            audience,
            leeway: std::time::Duration::ZERO,
        };
        parsed.claims(&rules, idmap_common::clock::now_unix())
    }
}

/// The edge's verifier of this server's protected endpoints: a token for
/// this server (its `aud` names our issuer URL) that is not revoked.
impl TokenVerifier for LocalVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> Verdict<'a> {
        Box::pin(async move {
            let claims = self.check(token, Some(&self.issuer))?;
            let revoked = self
                .credentials
                .is_revoked(&claims.jti)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "cannot read the revocation list");
                    Rejected::Unavailable
                })?;
            if revoked {
                return Err(Rejected::Token(VerifyError::Revoked));
            }
            Ok(claims)
        })
    }
}
