//! The client-credentials grant (RFC 6749 section 4.4): a confidential
//! client asks for a token for itself, with a subset of its registered scopes.

use super::AccessGrant;
use crate::domain::client::{Client, ClientKind};
use crate::domain::oauth_error::OAuthError;
use crate::domain::scopes::ScopeSet;

/// Decides the grant for an already authenticated `client`.
///
/// Without `scope` the client gets all its registered scopes (design
/// section 2: older partner clients send none).
pub fn grant(client: &Client, requested_scope: Option<&str>) -> Result<AccessGrant, OAuthError> {
    if client.kind != ClientKind::Confidential {
        return Err(OAuthError::unauthorized_client(
            "client_credentials is only for confidential clients",
        ));
    }
    let scopes = match requested_scope {
        None => client.scopes.clone(),
        Some(raw) => {
            let requested =
                ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
            if !requested.is_subset_of(&client.scopes) {
                return Err(OAuthError::invalid_scope(
                    "requested scope is not registered for this client",
                ));
            }
            requested
        }
    };
    Ok(AccessGrant {
        subject: client.id.as_str().to_owned(),
        client_id: client.id.clone(),
        scopes,
        partner: client.partner.clone(),
    })
}

#[cfg(test)]
mod tests {
    use idmap_common::error::ErrorCode;
    use idmap_common::ids::PartnerCode;

    use super::*;
    use crate::domain::client::ClientId;

    fn client(kind: ClientKind) -> Client {
        Client {
            id: ClientId::parse("c1").unwrap(),
            name: None,
            partner: Some(PartnerCode::parse("UFH").unwrap()),
            scopes: ScopeSet::parse("idmap:link idmap:read").unwrap(),
            kind,
            redirect_uris: vec![],
            disabled: false,
            secret_hashes: vec![],
            owner: None,
        }
    }

    #[test]
    fn no_scope_gets_the_registered_scopes() {
        let g = grant(&client(ClientKind::Confidential), None).unwrap();
        assert_eq!(g.scopes.to_string(), "idmap:link idmap:read");
        assert_eq!(g.subject, "c1");
        assert_eq!(g.partner.unwrap().as_str(), "UFH");
    }

    #[test]
    fn a_registered_subset_is_granted_as_asked() {
        let g = grant(&client(ClientKind::Confidential), Some("idmap:read")).unwrap();
        assert_eq!(g.scopes.to_string(), "idmap:read");
    }

    #[test]
    fn unregistered_unknown_or_malformed_scopes_are_invalid_scope() {
        for s in ["admin", "idmap:link admin", "nope", "a\\b"] {
            let e = grant(&client(ClientKind::Confidential), Some(s)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidScope, "{s}");
        }
    }

    #[test]
    fn public_clients_are_unauthorized() {
        let e = grant(&client(ClientKind::Public), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}
