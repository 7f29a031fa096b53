//! The refresh-token grant (RFC 6749 section 6): the presented token must
//! belong to the client, be live, and any requested scope must be within
//! the original grant. Rotation and reuse detection happen in the store.

use super::AccessGrant;
use crate::domain::client::Client;
use crate::domain::oauth_error::OAuthError;
use crate::domain::scopes::ScopeSet;

/// What the store knows about a refresh token.
#[derive(Debug, Clone)]
pub struct StoredRefresh {
    pub client_id: String,
    pub user_id: Option<String>,
    pub scopes: ScopeSet,
    pub expires_at: i64,
    /// Used (rotated away) or revoked.
    pub spent: bool,
}

/// Whether the token is a replay: already used or revoked, and the client's own.
pub fn is_reuse(client: &Client, token: &StoredRefresh) -> bool {
    token.spent && token.client_id == client.id.as_str()
}

/// Checks a live token and decides the grant.
pub fn grant(
    client: &Client,
    token: &StoredRefresh,
    requested_scope: Option<&str>,
    now: i64,
) -> Result<AccessGrant, OAuthError> {
    if token.client_id != client.id.as_str() || token.spent || now >= token.expires_at {
        return Err(OAuthError::invalid_grant(
            "the refresh token is invalid, expired or revoked",
        ));
    }
    let scopes = match requested_scope {
        None => token.scopes.clone(),
        Some(raw) => {
            let s = ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
            if !s.is_subset_of(&token.scopes) {
                return Err(OAuthError::invalid_scope(
                    "scope exceeds what the refresh token was granted",
                ));
            }
            s
        }
    };
    Ok(AccessGrant {
        subject: token
            .user_id
            .clone()
            .unwrap_or_else(|| client.id.as_str().to_owned()),
        client_id: client.id.clone(),
        scopes,
        partner: if token.user_id.is_some() {
            None
        } else {
            client.partner.clone()
        },
    })
}

#[cfg(test)]
mod tests {
    use idmap_common::error::ErrorCode;

    use super::*;
    use crate::domain::client::{ClientId, ClientKind};

    fn client() -> Client {
        Client {
            id: ClientId::parse("c1").unwrap(),
            name: None,
            partner: None,
            scopes: ScopeSet::parse("profile idmap:read").unwrap(),
            kind: ClientKind::Confidential,
            redirect_uris: vec![],
            disabled: false,
            secret_hashes: vec![],
            owner: None,
        }
    }

    fn token() -> StoredRefresh {
        StoredRefresh {
            client_id: "c1".into(),
            user_id: Some("u1".into()),
            scopes: ScopeSet::parse("profile idmap:read").unwrap(),
            expires_at: 100,
            spent: false,
        }
    }

    #[test]
    fn live_tokens_grant_the_same_or_fewer_scopes() {
        let g = grant(&client(), &token(), None, 1).unwrap();
        assert_eq!(g.scopes.to_string(), "idmap:read profile");
        let g = grant(&client(), &token(), Some("profile"), 1).unwrap();
        assert_eq!(g.scopes.to_string(), "profile");
        let e = grant(&client(), &token(), Some("admin"), 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn spent_expired_or_foreign_tokens_are_invalid_grant() {
        let mut t = token();
        t.spent = true;
        assert!(is_reuse(&client(), &t));
        assert_eq!(
            grant(&client(), &t, None, 1).unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            grant(&client(), &token(), None, 100).unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let mut f = token();
        f.client_id = "c2".into();
        assert!(!is_reuse(&client(), &f));
        assert_eq!(
            grant(&client(), &f, None, 1).unwrap_err().code,
            ErrorCode::InvalidGrant
        );
    }
}
