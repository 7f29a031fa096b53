//! Errors of the verifier, split by who has to act on them: a token error is
//! the caller's client's problem (401), a key-loading error is ours (503 or a
//! log line), a configuration error stops start-up.

use jsonwebtoken::Algorithm;

/// Why a bearer token was not accepted.
///
/// `Display` is written to be sent back as an RFC 6750 `error_description`:
/// it never contains token contents, claim values or key material, only the
/// names of claims we define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No JWKS has been loaded yet, so no token can be judged: a 503 for the
    /// caller, not a verdict on the token.
    #[error("signing keys are not available yet")]
    KeysUnavailable,
    #[error("token is too large")]
    TooLarge,
    #[error("token is malformed")]
    Malformed,
    #[error("token uses a critical header extension that is not supported")]
    UnsupportedCritical,
    #[error("token algorithm is not allowed")]
    AlgorithmNotAllowed,
    #[error("token type is not at+jwt")]
    WrongType,
    #[error("token has no key id")]
    MissingKeyId,
    #[error("token is signed with an unknown key")]
    UnknownKey,
    /// The header `alg` differs from the algorithm the key was published for,
    /// the classic RS/ES and HS-with-a-public-key confusion.
    #[error("token algorithm does not match its key")]
    KeyAlgorithmMismatch,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token lacks the {0} claim")]
    MissingClaim(&'static str),
    #[error("token claim {0} is invalid")]
    InvalidClaim(&'static str),
    #[error("token issuer is not accepted")]
    WrongIssuer,
    #[error("token audience is not accepted")]
    WrongAudience,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    /// Only the issuer, which keeps the revocation list, can say this.
    #[error("token has been revoked")]
    Revoked,
}

impl VerifyError {
    /// True when the token itself was not judged (answer 503 and let the
    /// client retry); false when the token is invalid (answer 401).
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::KeysUnavailable)
    }
}

/// Why loading the issuer metadata or the JWKS failed.
///
/// Logged by the refresh task; `Display` names the step and the HTTP-level
/// cause but never response bodies or credentials.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("{what} request failed: {source}")]
    Http {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{what} endpoint answered HTTP {status}")]
    Status { what: &'static str, status: u16 },
    #[error("{what} response is larger than {limit} bytes")]
    TooLarge { what: &'static str, limit: usize },
    #[error("{what} response is not valid JSON: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// RFC 8414 section 3.3: metadata for another issuer must not be used.
    #[error("authorization server metadata names a different issuer")]
    IssuerMismatch,
    #[error("authorization server metadata has no usable jwks_uri")]
    MissingJwksUri,
    /// Treated as a failure so that a broken publication never wipes the
    /// keys we already hold.
    #[error("JWKS has no key usable with the allowed algorithms")]
    NoUsableKeys,
}

/// Why a [`VerifierConfig`](super::VerifierConfig) was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("at least one signature algorithm must be allowed")]
    NoAlgorithms,
    /// HMAC would let anyone holding a public key forge tokens.
    #[error("algorithm {0:?} is not allowed: only asymmetric algorithms verify tokens")]
    SymmetricAlgorithm(Algorithm),
    #[error("issuer must be an http(s) URL")]
    InvalidIssuer,
    #[error("audience must not be empty")]
    EmptyAudience,
    #[error("jwks_url must be an http(s) URL")]
    InvalidJwksUrl,
    #[error("cache lifetime floor must not exceed its ceiling")]
    CacheBounds,
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}
