//! JWT material for the signing and verifying companions and the criterion
//! benches: the same crate (`jsonwebtoken` on aws-lc-rs), key format
//! (PKCS#8 PEM), header (`typ: at+jwt`, RFC 7638 `kid`) and claims as
//! auth-server's access tokens.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use idmap_common::jws::JwsSigner;
use idmap_common::{AccessClaims, Audience};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

/// A signing key with everything needed to sign and verify locally.
pub struct KeyPair {
    pub alg: Algorithm,
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub header: Header,
    pub jwk: Jwk,
    signer: JwsSigner,
}

impl KeyPair {
    /// Reads a PKCS#8 PEM private key; its type decides the algorithm.
    pub fn from_pem(pem: &[u8]) -> anyhow::Result<Self> {
        let (alg, encoding) = if let Ok(k) = EncodingKey::from_rsa_pem(pem) {
            (Algorithm::RS256, k)
        } else if let Ok(k) = EncodingKey::from_ec_pem(pem) {
            (Algorithm::ES256, k)
        } else if let Ok(k) = EncodingKey::from_ed_pem(pem) {
            (Algorithm::EdDSA, k)
        } else {
            bail!("not a PKCS#8 RSA, P-256 or Ed25519 private key in PEM form");
        };
        let mut jwk = Jwk::from_encoding_key(&encoding, alg)?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_id = Some(kid.clone());
        let mut header = Header::new(alg);
        header.typ = Some(idmap_common::claims::ACCESS_TOKEN_TYP.to_owned());
        header.kid = Some(kid.clone());
        Ok(Self {
            alg,
            kid,
            decoding: DecodingKey::from_jwk(&jwk)?,
            signer: JwsSigner::new(&encoding, &header)?,
            encoding,
            header,
            jwk,
        })
    }

    /// Signs claims like auth-server does (the key parsed once).
    pub fn sign(&self, claims: &AccessClaims) -> anyhow::Result<String> {
        Ok(self.signer.sign(claims)?)
    }

    /// Signs with `jsonwebtoken::encode`, which parses the key on each call.
    pub fn sign_jsonwebtoken(&self, claims: &AccessClaims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&self.header, claims, &self.encoding)?)
    }

    /// Verifies signature and registered claims with plain jsonwebtoken.
    pub fn verify_raw(&self, token: &str, validation: &Validation) -> anyhow::Result<AccessClaims> {
        Ok(jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, validation)?.claims)
    }

    /// The public JWKS document of this one key.
    pub fn jwks_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string(
            &serde_json::json!({ "keys": [&self.jwk] }),
        )?)
    }
}

/// Claims of a partner's client-credentials token, as auth-server issues.
pub fn claims(issuer: &str, now: i64) -> AccessClaims {
    AccessClaims {
        iss: issuer.to_owned(),
        sub: "bench-client".into(),
        aud: Audience::One("idmap".into()),
        exp: now + 3600,
        iat: now,
        nbf: now,
        jti: "4f1c2a9e-8b7d-4c55-9d0e-2f3a4b5c6d7e".into(),
        client_id: "bench-client".into(),
        scope: "idmap:link".into(),
        partner: Some("BENCH".into()),
    }
}

/// What idmap-server checks besides the signature.
pub fn validation(alg: Algorithm, issuer: &str) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&["idmap"]);
    v.set_issuer(&[issuer]);
    v.leeway = 30;
    v
}

/// The newest `signing-<seq>.pem` of an auth-server key directory.
pub fn newest_key(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut keys: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("signing-") && n.ends_with(".pem"))
        })
        .collect();
    keys.sort();
    keys.pop()
        .with_context(|| format!("no signing-*.pem in {}", dir.display()))
}
