//! The rejections of the extractors and how they answer (RFC 6750 section
//! 3): the challenge header, the status, and the shared JSON envelope.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use idmap_common::error::{ErrorBody, ErrorCode};
use idmap_common::verifier::VerifyError;

/// Why a request was not let through. A service with its own error type
/// converts this with `From` and answers in its own envelope; this type's
/// own answer is the one of [`ResponseError`] below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header: 401 without an error code.
    Missing { realm: String },
    /// A token that does not verify: 401 `invalid_token`.
    Invalid { realm: String, reason: Invalid },
    /// A valid token without the scope: 403 `insufficient_scope`.
    InsufficientScope { realm: String, scope: &'static str },
    /// The issuer's keys are not loaded yet (or no verifier is
    /// configured): 503, the client should retry.
    Unavailable,
}

/// What was wrong with a bearer attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The header itself: two of them, an empty token, bytes that are not
    /// visible ASCII.
    Header(&'static str),
    /// The token, as the verifier judged it.
    Token(VerifyError),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Header(reason) => f.write_str(reason),
            Self::Token(e) => e.fmt(f),
        }
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing { .. } => f.write_str("a bearer token is required"),
            Self::Invalid { reason, .. } => write!(f, "invalid access token: {reason}"),
            Self::InsufficientScope { scope, .. } => write!(f, "scope '{scope}' is required"),
            Self::Unavailable => f.write_str("token verification is temporarily unavailable"),
        }
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Missing { .. } | Self::Invalid { .. } => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        let (code, challenge) = match self {
            Self::Missing { realm } => (
                ErrorCode::InvalidToken,
                Some(format!("Bearer realm=\"{realm}\"")),
            ),
            Self::Invalid { realm, .. } => (
                ErrorCode::InvalidToken,
                Some(format!("Bearer realm=\"{realm}\", error=\"invalid_token\"")),
            ),
            Self::InsufficientScope { realm, scope } => (
                ErrorCode::InsufficientScope,
                Some(format!(
                    "Bearer realm=\"{realm}\", error=\"insufficient_scope\", scope=\"{scope}\""
                )),
            ),
            Self::Unavailable => {
                builder.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
                (ErrorCode::TemporarilyUnavailable, None)
            }
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            builder.insert_header((header::WWW_AUTHENTICATE, value));
        }
        builder.json(ErrorBody::new(code, self.to_string()))
    }
}
