//! Turning a JWKS document into the keys we trust, and its `Cache-Control`
//! into a refresh time.
//!
//! Each key is bound to exactly one algorithm when it is loaded (RSA to the
//! RSA algorithm it names, or RS256; P-256 to ES256; Ed25519 to EdDSA), and a
//! token must name that same algorithm. Keys that fit no allowed algorithm,
//! encryption keys and malformed entries are skipped one by one, so a single
//! odd key never hides the others.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::error::JwksError;

/// RSA moduli below 2048 bits are refused (NIST SP 800-131A).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// A public key and the one algorithm it may verify.
pub(crate) struct TrustedKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
}

/// The usable keys of one JWKS document, by `kid`.
pub(crate) struct KeySet {
    keys: HashMap<String, TrustedKey>,
    /// Tells this set from every other one, for the signature memory.
    generation: u64,
}

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.get(kid)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Parses a JWKS body, keeping the keys that fit `allowed`.
    pub(crate) fn from_json(body: &[u8], allowed: &[Algorithm]) -> Result<Self, JwksError> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let document: Document =
            serde_json::from_slice(body).map_err(|source| JwksError::Json {
                what: "JWKS",
                source,
            })?;

        let mut keys = HashMap::new();
        let mut duplicated = Vec::new();
        for value in document.keys {
            let Some((kid, key)) = trusted_key(value, allowed) else {
                continue;
            };
            if keys.insert(kid.clone(), key).is_some() {
                duplicated.push(kid);
            }
        }
        // A kid published twice cannot tell us which key a token means.
        for kid in duplicated {
            tracing::warn!("JWKS publishes a key id more than once; ignoring it");
            keys.remove(&kid);
        }
        if keys.is_empty() {
            return Err(JwksError::NoUsableKeys);
        }
        Ok(Self {
            keys,
            generation: super::seen::next_generation(),
        })
    }
}

/// The JWK members we read; anything else (`x5c`, `x5u`, ...) is ignored.
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    public_key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn trusted_key(value: serde_json::Value, allowed: &[Algorithm]) -> Option<(String, TrustedKey)> {
    let jwk: RawJwk = serde_json::from_value(value).ok()?;
    let kid = jwk.kid.clone().filter(|kid| !kid.is_empty())?;
    if jwk.public_key_use.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if jwk
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return None;
    }
    let (algorithm, key) = match jwk.kty.as_str() {
        "RSA" => rsa_key(&jwk)?,
        "EC" => ec_key(&jwk)?,
        "OKP" => okp_key(&jwk)?,
        _ => return None,
    };
    allowed
        .contains(&algorithm)
        .then_some((kid, TrustedKey { algorithm, key }))
}

fn rsa_key(jwk: &RawJwk) -> Option<(Algorithm, DecodingKey)> {
    let algorithm = match jwk.alg.as_deref() {
        None | Some("RS256") => Algorithm::RS256,
        Some("RS384") => Algorithm::RS384,
        Some("RS512") => Algorithm::RS512,
        Some("PS256") => Algorithm::PS256,
        Some("PS384") => Algorithm::PS384,
        Some("PS512") => Algorithm::PS512,
        Some(_) => return None,
    };
    let n = decode_b64(jwk.n.as_deref()?)?;
    let e = decode_b64(jwk.e.as_deref()?)?;
    let significant = n.iter().skip_while(|byte| **byte == 0).count();
    if significant < MIN_RSA_MODULUS_BYTES || e.is_empty() {
        return None;
    }
    Some((algorithm, DecodingKey::from_rsa_raw_components(&n, &e)))
}

fn ec_key(jwk: &RawJwk) -> Option<(Algorithm, DecodingKey)> {
    let (algorithm, coordinate_len) = match jwk.crv.as_deref()? {
        "P-256" => (Algorithm::ES256, 32),
        "P-384" => (Algorithm::ES384, 48),
        _ => return None,
    };
    if !alg_fits(jwk, algorithm) {
        return None;
    }
    let x = jwk.x.as_deref()?;
    let y = jwk.y.as_deref()?;
    let (x_len, y_len) = (decode_b64(x)?.len(), decode_b64(y)?.len());
    if x_len != coordinate_len || y_len != coordinate_len {
        return None;
    }
    let key = DecodingKey::from_ec_components(x, y).ok()?;
    Some((algorithm, key))
}

fn okp_key(jwk: &RawJwk) -> Option<(Algorithm, DecodingKey)> {
    if jwk.crv.as_deref()? != "Ed25519" {
        return None;
    }
    if !alg_fits(jwk, Algorithm::EdDSA) {
        return None;
    }
    let x = jwk.x.as_deref()?;
    if decode_b64(x)?.len() != 32 {
        return None;
    }
    let key = DecodingKey::from_ed_components(x).ok()?;
    Some((Algorithm::EdDSA, key))
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A JWK's optional `alg` must agree with what its key type implies.
fn alg_fits(jwk: &RawJwk, algorithm: Algorithm) -> bool {
    jwk.alg
        .as_deref()
        .is_none_or(|alg| alg.parse::<Algorithm>().ok() == Some(algorithm))
}

/// How long a fetched JWKS may be used before it is refetched: its
/// `max-age` (zero for `no-store`/`no-cache`) or `default` when it gives
/// none, kept within `floor..=ceiling`.
pub(crate) fn cache_lifetime(
    cache_control: Option<&str>,
    default: Duration,
    floor: Duration,
    ceiling: Duration,
) -> Duration {
    let mut lifetime = None;
    for directive in cache_control.unwrap_or_default().split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            lifetime = Some(Duration::ZERO);
            break;
        }
        if name.eq_ignore_ascii_case("max-age")
            && let Some(seconds) = value.and_then(|v| v.parse::<u64>().ok())
        {
            lifetime = Some(Duration::from_secs(seconds));
        }
    }
    lifetime.unwrap_or(default).clamp(floor, ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Algorithm] = &[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

    fn b64(len: usize) -> String {
        URL_SAFE_NO_PAD.encode(vec![7u8; len])
    }

    fn jwks(keys: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap()
    }

    #[test]
    fn keys_are_bound_to_the_algorithm_of_their_type() {
        let body = jwks(serde_json::json!([
            {"kty": "RSA", "kid": "r", "n": b64(256), "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": b64(32), "y": b64(32)},
            {"kty": "OKP", "kid": "o", "crv": "Ed25519", "x": b64(32), "alg": "EdDSA"},
        ]));
        let set = KeySet::from_json(&body, ALL).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(set.get("r").unwrap().algorithm, Algorithm::RS256);
        assert_eq!(set.get("e").unwrap().algorithm, Algorithm::ES256);
        assert_eq!(set.get("o").unwrap().algorithm, Algorithm::EdDSA);
    }

    #[test]
    fn unfit_keys_are_skipped_one_by_one() {
        let body = jwks(serde_json::json!([
            {"kty": "oct", "kid": "hmac", "k": b64(32)},
            {"kty": "RSA", "kid": "short", "n": b64(128), "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": b64(256), "e": "AQAB"},
            {"kty": "RSA", "kid": "es", "alg": "ES256", "n": b64(256), "e": "AQAB"},
            {"kty": "EC", "kid": "p384-as-256", "crv": "P-256", "x": b64(48), "y": b64(48)},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": b64(48), "y": b64(48)},
            {"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": b64(32)},
            {"kty": "RSA", "n": b64(256), "e": "AQAB"},
            {"kty": "RSA", "kid": "bad-b64", "n": "!!", "e": "AQAB"},
            "not an object",
            {"kty": "RSA", "kid": "ok", "n": b64(256), "e": "AQAB"},
        ]));
        let set = KeySet::from_json(&body, ALL).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.get("ok").is_some());
    }

    #[test]
    fn algorithms_outside_the_allowed_set_are_skipped() {
        let body = jwks(serde_json::json!([
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": b64(32), "y": b64(32)},
        ]));
        assert!(matches!(
            KeySet::from_json(&body, &[Algorithm::RS256]),
            Err(JwksError::NoUsableKeys)
        ));
    }

    #[test]
    fn a_duplicated_kid_is_dropped() {
        let body = jwks(serde_json::json!([
            {"kty": "RSA", "kid": "d", "n": b64(256), "e": "AQAB"},
            {"kty": "OKP", "kid": "d", "crv": "Ed25519", "x": b64(32)},
            {"kty": "RSA", "kid": "ok", "n": b64(256), "e": "AQAB"},
        ]));
        let set = KeySet::from_json(&body, ALL).unwrap();
        assert!(set.get("d").is_none());
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn non_json_is_an_error() {
        assert!(matches!(
            KeySet::from_json(b"<html>", ALL),
            Err(JwksError::Json { .. })
        ));
    }

    #[test]
    fn cache_lifetime_follows_max_age_within_bounds() {
        let (default, floor, ceiling) = (
            Duration::from_secs(300),
            Duration::from_secs(5),
            Duration::from_secs(86_400),
        );
        let life = |header| cache_lifetime(header, default, floor, ceiling);
        assert_eq!(life(Some("public, max-age=60")), Duration::from_secs(60));
        assert_eq!(life(Some("Max-Age=\"120\"")), Duration::from_secs(120));
        assert_eq!(life(Some("max-age=1")), floor);
        assert_eq!(life(Some("max-age=99999999")), ceiling);
        assert_eq!(life(Some("no-store")), floor);
        assert_eq!(life(Some("max-age=abc")), default);
        assert_eq!(life(Some("public")), default);
        assert_eq!(life(None), default);
    }
}
