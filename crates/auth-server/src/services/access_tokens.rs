//! Our own access tokens, checked locally with the shared token rules of
//! `idmap_common::verifier` and this server's key store as the key source:
//! for introspection (any audience) and, through the shared bearer edge,
//! for this server's own protected endpoints (our audience only, and not
//! revoked). Revocation is read from the in-memory snapshot of
//! [`Credentials`], the one place it is read, with its staleness bound. A
//! token checked once is remembered ([`VerifiedTokens`]) until it expires.

use std::sync::Arc;

use idmap_actix_auth::{Rejected, TokenVerifier, Verdict};
use idmap_common::claims::AccessClaims;
use idmap_common::clock::now_unix;
use idmap_common::verifier::{Algorithm, ClaimRules, UnverifiedToken, VerifyError};

use super::credentials::Credentials;
use super::verified_tokens::{TokenKey, Verified, VerifiedTokens};
use crate::keys::KeyStore;

/// Every algorithm we can sign with; a token's `alg` must also be its key's.
const ALGORITHMS: &[Algorithm] = &[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Checks tokens this server signed.
#[derive(Clone)]
pub struct LocalVerifier {
    keys: Arc<KeyStore>,
    issuer: String,
    credentials: Credentials,
    verified: VerifiedTokens,
}

impl LocalVerifier {
    pub fn new(keys: Arc<KeyStore>, issuer: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            credentials,
            verified: VerifiedTokens::default(),
        }
    }

    /// Signature, header and claim rules for a token of any audience (no
    /// database): what introspection reports on.
    pub fn verify_signature(&self, token: &str) -> Option<AccessClaims> {
        self.check(token, None).ok()
    }

    /// The shared rules with our keys, or the memory of an earlier check
    /// while the key that signed the token is still published. No leeway:
    /// the clock that issued the token is the one checking it.
    fn check(&self, token: &str, audience: Option<&str>) -> Result<AccessClaims, VerifyError> {
        let now = now_unix();
        let key = TokenKey::of(token);
        let verified = match self.verified.get(&key, now) {
            Some(v) if self.keys.verification_key(&v.kid).is_some() => v,
            _ => {
                let v = Arc::new(self.verify(token, now)?);
                self.verified.insert(key, v.clone(), now);
                v
            }
        };
        if let Some(audience) = audience
            && !verified.claims.aud.contains(audience)
        {
            return Err(VerifyError::WrongAudience);
        }
        Ok(verified.claims.clone())
    }

    /// Signature, header and every claim rule but the audience.
    fn verify(&self, token: &str, now: i64) -> Result<Verified, VerifyError> {
        let parsed = UnverifiedToken::parse(token, ALGORITHMS)?;
        let key = self
            .keys
            .verification_key(parsed.kid())
            .ok_or(VerifyError::UnknownKey)?;
        parsed.verify_signature(key.alg.algorithm(), key.decoding_key())?;
        let rules = ClaimRules {
            issuer: &self.issuer,
            audience: None,
            leeway: std::time::Duration::ZERO,
        };
        Ok(Verified {
            claims: parsed.claims(&rules, now)?,
            kid: key.kid.clone(),
        })
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
