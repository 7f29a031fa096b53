//! The pure half of verification: splitting a compact JWS, reading the few
//! header members we trust, checking the signature with a given key and the
//! claims against the configuration. No I/O, so every rule is unit-tested.
//!
//! The header is parsed by hand rather than with `jsonwebtoken::Header` so
//! that key-carrying members (`jku`, `jwk`, `x5u`, `x5c`) are not even
//! decoded: a token must never choose the key it is checked with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::{Map, Value};

use std::time::Duration;

use jsonwebtoken::DecodingKey;

use super::error::VerifyError;
use crate::claims::{ACCESS_TOKEN_TYP, AccessClaims};

/// Tokens larger than this are refused before any parsing, so that a hostile
/// header cannot make us decode or allocate much. Our tokens are well under
/// 2 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// What the claims of a correctly signed token must satisfy. The JWKS
/// verifier takes them from its configuration; the issuer checking its own
/// tokens passes its own (no leeway, and no audience for introspection,
/// which answers for tokens of every audience).
#[derive(Debug, Clone, Copy)]
pub struct ClaimRules<'a> {
    /// Exact `iss` value.
    pub issuer: &'a str,
    /// A value that must appear in `aud`; `None` accepts any audience.
    pub audience: Option<&'a str>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
}

/// A token whose size, shape and header passed; signature and claims not
/// checked yet. The key is the caller's: it looks up [`Self::kid`] in
/// whatever key source it has.
pub struct UnverifiedToken<'a> {
    algorithm: Algorithm,
    kid: String,
    signing_input: &'a str,
    signature: &'a str,
    payload: &'a str,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
    crit: Option<Value>,
}

impl<'a> UnverifiedToken<'a> {
    /// Checks size, shape, `alg` against `allowed`, `typ` and `kid` presence.
    pub fn parse(token: &'a str, allowed: &[Algorithm]) -> Result<Self, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(header_part), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        if header_part.is_empty() || payload.is_empty() || signature.is_empty() {
            return Err(VerifyError::Malformed);
        }
        let header_json = URL_SAFE_NO_PAD
            .decode(header_part)
            .map_err(|_| VerifyError::Malformed)?;
        let header: RawHeader =
            serde_json::from_slice(&header_json).map_err(|_| VerifyError::Malformed)?;

        // RFC 7515 4.1.11: extensions we do not understand must be rejected.
        if header.crit.is_some() {
            return Err(VerifyError::UnsupportedCritical);
        }
        let algorithm = header
            .alg
            .parse::<Algorithm>()
            .ok()
            .filter(|alg| allowed.contains(alg))
            .ok_or(VerifyError::AlgorithmNotAllowed)?;
        if !header.typ.as_deref().is_some_and(is_access_token_typ) {
            return Err(VerifyError::WrongType);
        }
        let kid = header
            .kid
            .filter(|kid| !kid.is_empty())
            .ok_or(VerifyError::MissingKeyId)?;

        // `header.payload` is the token up to its second dot.
        let signing_input = token
            .get(..header_part.len() + 1 + payload.len())
            .ok_or(VerifyError::Malformed)?;
        Ok(UnverifiedToken {
            algorithm,
            kid,
            signing_input,
            signature,
            payload,
        })
    }
}

/// RFC 9068 section 4: `at+jwt`, optionally with the `application/` prefix
/// (RFC 7515 4.1.9), compared case-insensitively.
fn is_access_token_typ(typ: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    bare.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
}

impl UnverifiedToken<'_> {
    /// The key id the header names.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Checks that the header names the key's algorithm (`algorithm`, the
    /// one the key was published for) and the signature.
    pub fn verify_signature(
        &self,
        algorithm: Algorithm,
        key: &DecodingKey,
    ) -> Result<(), VerifyError> {
        if algorithm != self.algorithm {
            return Err(VerifyError::KeyAlgorithmMismatch);
        }
        match jsonwebtoken::crypto::verify(
            self.signature,
            self.signing_input.as_bytes(),
            key,
            algorithm,
        ) {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(VerifyError::BadSignature),
        }
    }

    /// Decodes the claims and checks presence, types, `iss`, `aud`, `exp`,
    /// `nbf`. Only call after [`Self::verify_signature`].
    pub fn claims(&self, rules: &ClaimRules<'_>, now: i64) -> Result<AccessClaims, VerifyError> {
        let json = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| VerifyError::Malformed)?;
        let map: Map<String, Value> =
            serde_json::from_slice(&json).map_err(|_| VerifyError::Malformed)?;
        check_claim_types(&map)?;
        let claims: AccessClaims =
            serde_json::from_value(Value::Object(map)).map_err(|_| VerifyError::Malformed)?;

        if claims.iss != rules.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        if let Some(audience) = rules.audience
            && !claims.aud.contains(audience)
        {
            return Err(VerifyError::WrongAudience);
        }
        let leeway = i64::try_from(rules.leeway.as_secs()).unwrap_or(i64::MAX);
        if now > claims.exp.saturating_add(leeway) {
            return Err(VerifyError::Expired);
        }
        if claims.nbf > now.saturating_add(leeway) {
            return Err(VerifyError::NotYetValid);
        }
        Ok(claims)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    NonEmptyString,
    String,
    Integer,
    Audience,
}

/// Every claim RFC 9068 and the design require, with the JSON type it must
/// have, so that an error can name the claim.
const REQUIRED: &[(&str, Kind)] = &[
    ("iss", Kind::NonEmptyString),
    ("sub", Kind::NonEmptyString),
    ("aud", Kind::Audience),
    ("exp", Kind::Integer),
    ("iat", Kind::Integer),
    ("nbf", Kind::Integer),
    ("jti", Kind::NonEmptyString),
    ("client_id", Kind::NonEmptyString),
    ("scope", Kind::String),
];

fn check_claim_types(map: &Map<String, Value>) -> Result<(), VerifyError> {
    for (name, kind) in REQUIRED {
        let value = match map.get(*name) {
            None | Some(Value::Null) => return Err(VerifyError::MissingClaim(name)),
            Some(value) => value,
        };
        let fits = match kind {
            Kind::NonEmptyString => value.as_str().is_some_and(|s| !s.is_empty()),
            Kind::String => value.is_string(),
            Kind::Integer => value.as_i64().is_some(),
            Kind::Audience => match value {
                Value::String(_) => true,
                Value::Array(items) => items.iter().all(Value::is_string),
                _ => false,
            },
        };
        if !fits {
            return Err(VerifyError::InvalidClaim(name));
        }
    }
    match map.get("partner") {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(_) => Err(VerifyError::InvalidClaim("partner")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALLOWED: &[Algorithm] = &[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn token(header: Value, payload: Value) -> String {
        format!("{}.{}.c2ln", b64(&header), b64(&payload))
    }

    fn good_claims(now: i64) -> Value {
        json!({
            "iss": "http://issuer", "sub": "c1", "aud": "idmap",
            "exp": now + 60, "iat": now, "nbf": now, "jti": "j1",
            "client_id": "c1", "scope": "idmap:link", "partner": "P1",
        })
    }

    fn header() -> Value {
        json!({"alg": "RS256", "typ": "at+jwt", "kid": "k1"})
    }

    const RULES: ClaimRules<'static> = ClaimRules {
        issuer: "http://issuer",
        audience: Some("idmap"),
        leeway: Duration::from_secs(30),
    };

    fn claims_of(payload: Value, now: i64) -> Result<AccessClaims, VerifyError> {
        let token = token(header(), payload);
        UnverifiedToken::parse(&token, ALLOWED)?.claims(&RULES, now)
    }

    #[test]
    fn signing_input_is_header_dot_payload() {
        let token = token(header(), json!({}));
        let parsed = UnverifiedToken::parse(&token, ALLOWED).unwrap();
        assert_eq!(parsed.signing_input, token.rsplit_once('.').unwrap().0);
        assert_eq!(parsed.kid, "k1");
        assert_eq!(parsed.algorithm, Algorithm::RS256);
    }

    #[test]
    fn typ_accepts_rfc_9068_spellings_only() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/AT+jwt",
        ] {
            assert!(is_access_token_typ(typ), "{typ}");
        }
        for typ in [
            "JWT",
            "jwt",
            "at+jwt2",
            "application/jwt",
            "",
            "application/",
        ] {
            assert!(!is_access_token_typ(typ), "{typ}");
        }
    }

    #[test]
    fn header_rules() {
        let payload = json!({});
        let with =
            |header: Value| UnverifiedToken::parse(&token(header, payload.clone()), ALLOWED).err();
        assert_eq!(
            with(json!({"alg": "none", "typ": "at+jwt", "kid": "k"})),
            Some(VerifyError::AlgorithmNotAllowed)
        );
        assert_eq!(
            with(json!({"alg": "HS256", "typ": "at+jwt", "kid": "k"})),
            Some(VerifyError::AlgorithmNotAllowed)
        );
        assert_eq!(
            with(json!({"alg": "RS256", "kid": "k"})),
            Some(VerifyError::WrongType)
        );
        assert_eq!(
            with(json!({"alg": "RS256", "typ": "at+jwt", "kid": ""})),
            Some(VerifyError::MissingKeyId)
        );
        assert_eq!(
            with(json!({"alg": "RS256", "typ": "at+jwt", "kid": "k", "crit": ["exp"]})),
            Some(VerifyError::UnsupportedCritical)
        );
        assert_eq!(with(json!(["alg"])), Some(VerifyError::Malformed));
    }

    #[test]
    fn shape_rules() {
        let good = token(header(), json!({}));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            ".b.c",
            &format!("{good}."),
            &good.replacen('.', "..", 1),
            "e30=.e30.c2ln",
        ] {
            assert_eq!(
                UnverifiedToken::parse(bad, ALLOWED).err(),
                Some(VerifyError::Malformed),
                "{bad}"
            );
        }
        let huge = format!("{good}{}", "A".repeat(MAX_TOKEN_BYTES));
        assert_eq!(
            UnverifiedToken::parse(&huge, ALLOWED).err(),
            Some(VerifyError::TooLarge)
        );
    }

    #[test]
    fn good_claims_pass() {
        let claims = claims_of(good_claims(1_000), 1_000).unwrap();
        assert_eq!(claims.partner.as_deref(), Some("P1"));
    }

    #[test]
    fn each_required_claim_is_named_when_missing() {
        for (name, _) in REQUIRED {
            let mut payload = good_claims(1_000);
            payload.as_object_mut().unwrap().remove(*name);
            assert_eq!(
                claims_of(payload, 1_000).err(),
                Some(VerifyError::MissingClaim(name))
            );
        }
    }

    #[test]
    fn wrong_types_are_named() {
        for (name, value) in [
            ("exp", json!("soon")),
            ("nbf", json!(1.5)),
            ("aud", json!(["idmap", 3])),
            ("jti", json!("")),
            ("partner", json!(7)),
        ] {
            let mut payload = good_claims(1_000);
            payload[name] = value;
            assert_eq!(
                claims_of(payload, 1_000).err(),
                Some(VerifyError::InvalidClaim(name))
            );
        }
    }

    #[test]
    fn time_rules_use_the_leeway() {
        let now = 10_000;
        let mut payload = good_claims(now);
        payload["exp"] = json!(now - 30);
        assert!(claims_of(payload.clone(), now).is_ok());
        payload["exp"] = json!(now - 31);
        assert_eq!(claims_of(payload, now).err(), Some(VerifyError::Expired));

        let mut payload = good_claims(now);
        payload["nbf"] = json!(now + 30);
        assert!(claims_of(payload.clone(), now).is_ok());
        payload["nbf"] = json!(now + 31);
        assert_eq!(
            claims_of(payload, now).err(),
            Some(VerifyError::NotYetValid)
        );
    }

    #[test]
    fn issuer_and_audience_rules() {
        let mut payload = good_claims(1_000);
        payload["iss"] = json!("http://issuer/");
        assert_eq!(
            claims_of(payload, 1_000).err(),
            Some(VerifyError::WrongIssuer)
        );

        let mut payload = good_claims(1_000);
        payload["aud"] = json!(["other", "idmap"]);
        assert!(claims_of(payload.clone(), 1_000).is_ok());
        payload["aud"] = json!(["other"]);
        assert_eq!(
            claims_of(payload.clone(), 1_000).err(),
            Some(VerifyError::WrongAudience)
        );
        let any_audience = ClaimRules {
            audience: None,
            ..RULES
        };
        let token = token(header(), payload);
        assert!(
            UnverifiedToken::parse(&token, ALLOWED)
                .unwrap()
                .claims(&any_audience, 1_000)
                .is_ok()
        );
    }
}
