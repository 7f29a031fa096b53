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
}

impl OAuthError {
    /// An error with any RFC 6749 code.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
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
