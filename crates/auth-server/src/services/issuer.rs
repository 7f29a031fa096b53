//! The token issuer every grant calls: turns an [`AccessGrant`] into a
//! signed RFC 9068 access token with the current signing key.

use std::sync::Arc;

use idmap_common::claims::{AccessClaims, Audience};

use crate::domain::grants::AccessGrant;
use crate::keys::{KeyError, KeyStore};
use idmap_common::clock::now_unix;

/// A signed token and what the token response says about it.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    pub scope: String,
    /// The token's `jti` and `exp`, for revocation bookkeeping.
    pub jti: String,
    pub expires_at: i64,
}

/// Signs access tokens for this issuer.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    keys: Arc<KeyStore>,
    issuer: String,
    ttl: u64,
}

impl TokenIssuer {
    /// An issuer named `issuer` signing tokens valid for `ttl_seconds`.
    pub fn new(keys: Arc<KeyStore>, issuer: impl Into<String>, ttl_seconds: u64) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            ttl: ttl_seconds,
        }
    }

    /// The claims of a token for `grant` issued at `now`.
    pub fn claims(&self, grant: &AccessGrant, now: i64) -> AccessClaims {
        AccessClaims {
            iss: self.issuer.clone(),
            sub: grant.subject.clone(),
            aud: Audience::from_list(grant.scopes.audiences(&self.issuer)),
            exp: now.saturating_add(i64::try_from(self.ttl).unwrap_or(i64::MAX)),
            iat: now,
            nbf: now,
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: grant.client_id.as_str().to_owned(),
            scope: grant.scopes.to_string(),
            partner: grant.partner.as_ref().map(|p| p.as_str().to_owned()),
        }
    }

    /// The issuer URL (`iss`, and the audience of this server's own scopes).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs a token for `grant` with the current signing key.
    pub fn issue(&self, grant: &AccessGrant) -> Result<IssuedToken, KeyError> {
        let claims = self.claims(grant, now_unix());
        let access_token = self.keys.signing_key().sign(&claims)?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.ttl,
            scope: claims.scope,
            jti: claims.jti,
            expires_at: claims.exp,
        })
    }
}
