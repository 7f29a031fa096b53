//! Verifying our own access tokens locally (introspection, revocation,
//! userinfo, the admin API): signature with a key we still publish, `typ`,
//! `iss`, `exp`/`nbf`, and the revocation list. `aud` is the caller's
//! business, since introspection answers for tokens of any audience.

use std::sync::Arc;

use idmap_common::claims::{ACCESS_TOKEN_TYP, AccessClaims};
use idmap_storage::{Database, StorageError};
use jsonwebtoken::Validation;

use crate::db::revoked_tokens;
use crate::keys::KeyStore;

/// Checks tokens this server signed.
#[derive(Clone)]
pub struct LocalVerifier {
    keys: Arc<KeyStore>,
    issuer: String,
    db: Database,
}

impl LocalVerifier {
    pub fn new(keys: Arc<KeyStore>, issuer: impl Into<String>, db: Database) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            db,
        }
    }

    /// The claims of a valid, unrevoked token; `Ok(None)` for anything else.
    pub async fn verify(&self, token: &str) -> Result<Option<AccessClaims>, StorageError> {
        let Some(claims) = self.verify_signature(token) else {
            return Ok(None);
        };
        let jti = claims.jti.clone();
        let revoked = self
            .db
            .run(move |c| Ok(revoked_tokens::is_revoked(c, &jti)?))
            .await?;
        Ok((!revoked).then_some(claims))
    }

    /// Signature, header and time checks only (no database).
    pub fn verify_signature(&self, token: &str) -> Option<AccessClaims> {
        if token.len() > idmap_common::verifier::MAX_TOKEN_BYTES {
            return None;
        }
        let header = jsonwebtoken::decode_header(token).ok()?;
        // We issue no critical extensions, so any `crit` is one we do not
        // understand and must refuse (RFC 7515 section 4.1.11).
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) || header.crit.is_some() {
            return None;
        }
        let key = self.keys.verification_key(header.kid.as_deref()?)?;
        if key.alg.algorithm() != header.alg {
            return None;
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "sub", "nbf", "iat"]);
        jsonwebtoken::decode::<AccessClaims>(token, key.decoding_key(), &validation)
            .ok()
            .map(|d| d.claims)
    }
}
