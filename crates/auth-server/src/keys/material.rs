//! One signing key: generating it (aws-lc-rs, PKCS#8), its PEM form, the
//! parsed key that signs (`idmap_common::jws`), and its public JWK with an
//! RFC 7638 `kid`.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idmap_common::jws::JwsSigner;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};

use crate::config::SigningAlg;

/// Why key material could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("not a PKCS#8 RSA, P-256 or Ed25519 private key in PEM form")]
    Unrecognized,
    #[error("key is unusable: {0}")]
    Unusable(#[from] jsonwebtoken::errors::Error),
    #[error("cannot sign: {0}")]
    Sign(#[from] idmap_common::jws::SignError),
    #[error("key file I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

impl SigningAlg {
    /// The JWS `alg` value.
    pub fn algorithm(self) -> Algorithm {
        match self {
            SigningAlg::Rs256 => Algorithm::RS256,
            SigningAlg::Es256 => Algorithm::ES256,
            SigningAlg::EdDsa => Algorithm::EdDSA,
        }
    }
}

/// Generates a fresh private key for `alg` as PEM-encoded PKCS#8.
pub fn generate_pem(alg: SigningAlg) -> Result<String, KeyError> {
    let der: Vec<u8> = match alg {
        SigningAlg::Rs256 => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
            let der: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyError::Generate)?;
            der.as_ref().to_vec()
        }
        SigningAlg::Es256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec()
        }
        // PKCS#8 v1: the form jsonwebtoken derives the public JWK from.
        SigningAlg::EdDsa => Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new())
            .map_err(|_| KeyError::Generate)?
            .as_ref()
            .to_vec(),
    };
    Ok(pem_encode("PRIVATE KEY", &der))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A loaded signing key: everything needed to sign and to publish it.
pub struct SigningKey {
    pub alg: SigningAlg,
    pub kid: String,
    signer: JwsSigner,
    jwk: Jwk,
    /// Parsed once: every local verification uses it.
    decoding: DecodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key; its type decides the algorithm.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let (alg, encoding) = if let Ok(k) = EncodingKey::from_rsa_pem(pem) {
            (SigningAlg::Rs256, k)
        } else if let Ok(k) = EncodingKey::from_ec_pem(pem) {
            (SigningAlg::Es256, k)
        } else if let Ok(k) = EncodingKey::from_ed_pem(pem) {
            (SigningAlg::EdDsa, k)
        } else {
            return Err(KeyError::Unrecognized);
        };
        let mut jwk = Jwk::from_encoding_key(&encoding, alg.algorithm())?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_id = Some(kid.clone());
        let mut header = Header::new(alg.algorithm());
        header.typ = Some(idmap_common::claims::ACCESS_TOKEN_TYP.to_owned());
        header.kid = Some(kid.clone());
        Ok(Self {
            alg,
            kid,
            signer: JwsSigner::new(&encoding, &header)?,
            decoding: DecodingKey::from_jwk(&jwk)?,
            jwk,
        })
    }

    /// Signs `claims` as a compact JWS with this key's prepared header.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        Ok(self.signer.sign(claims)?)
    }

    /// The public half as published in the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The public half, ready to verify tokens with.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;

    #[test]
    fn every_algorithm_round_trips_through_pem_jwk_and_signature() {
        for alg in [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa] {
            let pem = generate_pem(alg).unwrap();
            let key = SigningKey::from_pem(pem.as_bytes()).unwrap();
            assert_eq!(key.alg, alg);
            // The kid is derived from the public key only, so it is stable.
            assert_eq!(SigningKey::from_pem(pem.as_bytes()).unwrap().kid, key.kid);
            let json = serde_json::to_value(key.public_jwk()).unwrap();
            assert_eq!(json["use"], "sig");
            assert_eq!(json["kid"], key.kid.as_str());
            assert!(
                json.get("d").is_none(),
                "private part must not be published"
            );

            let token = key
                .sign(&serde_json::json!({"sub": "x", "exp": 4_000_000_000u64}))
                .unwrap();
            let decoding = DecodingKey::from_jwk(key.public_jwk()).unwrap();
            let mut v = Validation::new(alg.algorithm());
            v.validate_aud = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &v).unwrap();
            assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
            assert_eq!(data.header.kid.as_deref(), Some(key.kid.as_str()));
        }
    }

    #[test]
    fn rsa_kid_matches_the_rfc_7638_example() {
        // RFC 7638 section 3.1 example key, thumbprint NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk: Jwk = serde_json::from_value(
            serde_json::json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256"}),
        )
        .unwrap();
        assert_eq!(
            jwk.thumbprint(ThumbprintHash::SHA256).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(
            SigningKey::from_pem(b"nope"),
            Err(KeyError::Unrecognized)
        ));
    }
}
