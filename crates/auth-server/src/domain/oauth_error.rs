//! The error of the OAuth endpoints, in RFC 6749 section 5.2 terms. Pure
//! data: `crate::error` turns it into a response.

use idmap_common::error::ErrorCode;

/// An RFC 6749 error: the code, a description safe to show the client, and
/// whether the failure is of client authentication (401 plus a challenge).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    /// A registered code the shared [`ErrorCode`] lacks (RFC 8707
    /// `invalid_target`); when set it is what the wire says.
    pub wire_code: Option<&'static str>,
}

impl OAuthError {
    /// An error with any RFC 6749 code.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            wire_code: None,
        }
    }

    /// The `error` value on the wire.
    pub fn wire(&self) -> &'static str {
        self.wire_code.unwrap_or(self.code.as_str())
    }

    /// `invalid_grant`: a bad, expired, used or foreign code or refresh token.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `access_denied`: the user said no.
    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDenied, description)
    }

    /// `unsupported_response_type` at the authorization endpoint.
    pub fn unsupported_response_type(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnsupportedResponseType, description)
    }

    /// RFC 8707 `invalid_target`: a `resource` this server does not serve.
    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self {
            wire_code: Some("invalid_target"),
            ..Self::new(ErrorCode::InvalidRequest, description)
        }
    }

    /// `invalid_request`: a missing, repeated or malformed parameter.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`: client authentication failed (always the same text,
    /// so that unknown clients and wrong secrets cannot be told apart).
    pub fn invalid_client() -> Self {
        Self::new(ErrorCode::InvalidClient, "client authentication failed")
    }

    /// `invalid_scope`: unknown, malformed or not registered for the client.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    /// `unauthorized_client`: the client may not use this grant type.
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    /// `unsupported_grant_type`: a grant this server does not implement.
    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnsupportedGrantType, description)
    }

    /// Whether this is answered with 401 and a challenge (RFC 6749 5.2).
    pub fn is_client_authentication_failure(&self) -> bool {
        self.code == ErrorCode::InvalidClient
    }
}
