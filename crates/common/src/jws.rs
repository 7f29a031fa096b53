//! Compact JWS signing with a private key parsed once. `jsonwebtoken::encode`
//! parses and validates the key's DER on every call, which for RSA costs
//! as much again as the signature itself; the issuer signs every access
//! token, so the parsed key is kept here. The output is what
//! `jsonwebtoken::encode` produces for the same header, claims and key.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// Why a signer could not be built or a token not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("only RS256, ES256 and EdDSA keys sign access tokens, not {0:?}")]
    Algorithm(Algorithm),
    #[error("the private key is unusable for {0:?}")]
    Key(Algorithm),
    #[error("header or claims do not serialize: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the signature operation failed")]
    Sign,
}

enum KeyPair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private key with its encoded JOSE header.
pub struct JwsSigner {
    pair: KeyPair,
    header_b64: String,
}

impl std::fmt::Debug for JwsSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwsSigner").finish_non_exhaustive()
    }
}

impl JwsSigner {
    /// `key` as jsonwebtoken loaded it (`EncodingKey::from_*_pem`), signing
    /// under `header`, whose `alg` must match the key.
    pub fn new(key: &EncodingKey, header: &Header) -> Result<Self, SignError> {
        let der = key.as_bytes();
        let alg = header.alg;
        let pair = match alg {
            Algorithm::RS256 => RsaKeyPair::from_der(der).map(KeyPair::Rsa).ok(),
            Algorithm::ES256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map(KeyPair::Ec)
                .ok(),
            Algorithm::EdDSA => Ed25519KeyPair::from_pkcs8(der).map(KeyPair::Ed).ok(),
            other => return Err(SignError::Algorithm(other)),
        }
        .ok_or(SignError::Key(alg))?;
        let header_b64 = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?);
        Ok(Self { pair, header_b64 })
    }

    /// `claims` as a compact JWS under this signer's header.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, SignError> {
        let claims_b64 = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
        let mut out = String::with_capacity(self.header_b64.len() + claims_b64.len() + 360);
        out.push_str(&self.header_b64);
        out.push('.');
        out.push_str(&claims_b64);
        let signature = self.signature(out.as_bytes())?;
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        Ok(out)
    }

    fn signature(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.pair {
            KeyPair::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| SignError::Sign)?;
                Ok(sig)
            }
            KeyPair::Ec(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError::Sign),
            KeyPair::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;

    fn pem(der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }

    fn keys() -> Vec<(Algorithm, EncodingKey)> {
        let rng = SystemRandom::new();
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let rsa_der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).unwrap();
        let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let ed = Ed25519KeyPair::generate_pkcs8v1(&rng).unwrap();
        vec![
            (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(pem(rsa_der.as_ref()).as_bytes()).unwrap(),
            ),
            (
                Algorithm::ES256,
                EncodingKey::from_ec_pem(pem(ec.as_ref()).as_bytes()).unwrap(),
            ),
            (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(pem(ed.as_ref()).as_bytes()).unwrap(),
            ),
        ]
    }

    #[test]
    fn tokens_verify_with_jsonwebtoken_and_match_its_encoding() {
        let claims = serde_json::json!({"sub": "x", "exp": 4_000_000_000u64});
        for (alg, key) in keys() {
            let mut header = Header::new(alg);
            header.typ = Some("at+jwt".into());
            header.kid = Some("k1".into());
            let signer = JwsSigner::new(&key, &header).unwrap();
            let ours = signer.sign(&claims).unwrap();
            let theirs = jsonwebtoken::encode(&header, &claims, &key).unwrap();
            let signed_part = |t: &str| t.rsplit_once('.').unwrap().0.to_owned();
            assert_eq!(signed_part(&ours), signed_part(&theirs), "{alg:?}");
            if alg == Algorithm::EdDSA {
                assert_eq!(ours, theirs, "Ed25519 signatures are deterministic");
            }

            let jwk = Jwk::from_encoding_key(&key, alg).unwrap();
            let decoding = DecodingKey::from_jwk(&jwk).unwrap();
            let mut v = Validation::new(alg);
            v.validate_aud = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(&ours, &decoding, &v).unwrap();
            assert_eq!(data.claims["sub"], "x");
            assert_eq!(data.header.kid.as_deref(), Some("k1"));
        }
    }

    #[test]
    fn a_key_of_another_algorithm_is_refused() {
        let (_, rsa) = keys().remove(0);
        let header = Header::new(Algorithm::ES256);
        assert!(matches!(
            JwsSigner::new(&rsa, &header),
            Err(SignError::Key(Algorithm::ES256))
        ));
        assert!(matches!(
            JwsSigner::new(&rsa, &Header::new(Algorithm::HS256)),
            Err(SignError::Algorithm(Algorithm::HS256))
        ));
    }
}
