//! The JSON error envelope every idmap endpoint answers with, and the codes
//! it may carry, so that clients can match on them.

use serde::{Deserialize, Serialize};

/// Machine-readable error codes; OAuth ones follow RFC 6749, 6750 and 7009.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedTokenType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    InvalidToken,
    InsufficientScope,
    PartnerRequired,
    SaltMismatch,
    RequestTooLarge,
    /// The request body did not arrive within the server's body timeout.
    RequestTimeout,
    UnsupportedMediaType,
    NotFound,
    MethodNotAllowed,
    Conflict,
    RateLimited,
    TemporarilyUnavailable,
    /// The database is full, refuses writes or takes no more connections:
    /// retry later; an operator has to act.
    StorageExhausted,
    ServerError,
}

impl ErrorCode {
    /// The wire spelling, as used in `WWW-Authenticate` parameters too.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::PartnerRequired => "partner_required",
            Self::SaltMismatch => "salt_mismatch",
            Self::RequestTooLarge => "request_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::StorageExhausted => "storage_exhausted",
            Self::ServerError => "server_error",
        }
    }
}

/// One bad item of a validation failure; `index` counts patients from 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// `{"error": ..., "error_description": ..., "details": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub error_description: String,
    /// Present on validation failures (possibly empty for request-level
    /// problems); omitted elsewhere, as RFC 6749 bodies have no such member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<ErrorDetail>>,
}

impl ErrorBody {
    pub fn new(error: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            error,
            error_description: description.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Vec<ErrorDetail>) -> Self {
        self.details = Some(details);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde_spelling() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::InsufficientScope,
            ErrorCode::PartnerRequired,
            ErrorCode::SaltMismatch,
            ErrorCode::UnsupportedGrantType,
            ErrorCode::TemporarilyUnavailable,
            ErrorCode::StorageExhausted,
            ErrorCode::RequestTimeout,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }

    #[test]
    fn details_only_when_set() {
        let plain = serde_json::to_value(ErrorBody::new(ErrorCode::InvalidClient, "x")).unwrap();
        assert!(plain.get("details").is_none());
        let v = serde_json::to_value(
            ErrorBody::new(ErrorCode::InvalidRequest, "x").with_details(vec![]),
        )
        .unwrap();
        assert_eq!(v["details"], serde_json::json!([]));
    }
}
