//! Grant types of the token endpoint, one file each. A grant turns an
//! authenticated client and the request parameters into an [`AccessGrant`];
//! the token issuer signs whatever a grant decided.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use idmap_common::ids::PartnerCode;

use super::client::ClientId;
use super::oauth_error::OAuthError;
use super::scopes::ScopeSet;

/// A `grant_type` value this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
    /// Off unless `AUTH_ENABLE_PASSWORD_GRANT` (OAuth 2.1 drops it).
    Password,
}

impl GrantType {
    /// Every implemented grant.
    pub const ALL: [GrantType; 4] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
        GrantType::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::Password => "password",
        }
    }

    /// The grants enabled by the configuration, as metadata advertises them.
    pub fn enabled(password: bool, implicit: bool) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Self::ALL
            .into_iter()
            .filter(|g| password || *g != GrantType::Password)
            .map(GrantType::as_str)
            .collect();
        if implicit {
            out.push("implicit");
        }
        out
    }

    /// Anything not implemented (or disabled) is `unsupported_grant_type` (RFC 6749 5.2).
    pub fn parse(s: &str, password_enabled: bool) -> Result<Self, OAuthError> {
        Self::ALL
            .into_iter()
            .filter(|g| password_enabled || *g != GrantType::Password)
            .find(|g| g.as_str() == s)
            .ok_or_else(|| OAuthError::unsupported_grant_type("this grant_type is not supported"))
    }
}

/// What an access token will say: who it is for and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    /// `sub`: the client id for client credentials, a user id otherwise.
    pub subject: String,
    pub client_id: ClientId,
    pub scopes: ScopeSet,
    pub partner: Option<PartnerCode>,
}

#[cfg(test)]
mod tests {
    use idmap_common::error::ErrorCode;

    use super::*;

    #[test]
    fn only_implemented_and_enabled_grants_parse() {
        assert_eq!(
            GrantType::parse("client_credentials", false).unwrap(),
            GrantType::ClientCredentials
        );
        assert_eq!(
            GrantType::parse("password", true).unwrap(),
            GrantType::Password
        );
        for other in ["password", "implicit", "CLIENT_CREDENTIALS", "urn:x"] {
            assert_eq!(
                GrantType::parse(other, false).unwrap_err().code,
                ErrorCode::UnsupportedGrantType
            );
        }
        assert_eq!(
            GrantType::enabled(false, true),
            [
                "authorization_code",
                "client_credentials",
                "refresh_token",
                "implicit"
            ]
        );
    }
}
