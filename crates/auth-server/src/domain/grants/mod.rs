//! Grant types of the token endpoint, one file each. A grant turns an
//! authenticated client and the request parameters into an [`AccessGrant`];
//! the token issuer signs whatever a grant decided.

pub mod client_credentials;

use idmap_common::ids::PartnerCode;

use super::client::ClientId;
use super::oauth_error::OAuthError;
use super::scopes::ScopeSet;

/// A `grant_type` value this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
}

impl GrantType {
    /// Every implemented grant, as advertised in the metadata.
    pub const SUPPORTED: [GrantType; 1] = [GrantType::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// Anything not implemented is `unsupported_grant_type` (RFC 6749 5.2).
    pub fn parse(s: &str) -> Result<Self, OAuthError> {
        Self::SUPPORTED
            .into_iter()
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
    fn only_implemented_grants_parse() {
        assert_eq!(
            GrantType::parse("client_credentials").unwrap(),
            GrantType::ClientCredentials
        );
        for other in [
            "password",
            "authorization_code",
            "refresh_token",
            "CLIENT_CREDENTIALS",
        ] {
            assert_eq!(
                GrantType::parse(other).unwrap_err().code,
                ErrorCode::UnsupportedGrantType
            );
        }
    }
}
