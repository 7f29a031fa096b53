//! The authorization-code grant's token request (RFC 6749 4.1.3, RFC 7636
//! 4.6): the stored code must belong to the client, be unexpired, name the
//! same redirect URI, and match the PKCE verifier. Single use is enforced
//! by the store's compare-and-swap; this is the pure part.

use super::AccessGrant;
use crate::domain::client::{Client, ClientKind};
use crate::domain::oauth_error::OAuthError;
use crate::domain::pkce::CodeChallenge;
use crate::domain::scopes::ScopeSet;

/// Lifetime of an authorization code in seconds (RFC 6749 4.1.2: short).
pub const CODE_TTL: i64 = 60;

/// What the store knows about a code.
#[derive(Debug, Clone)]
pub struct StoredCode {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI.
    pub redirect_uri_given: bool,
    pub scopes: ScopeSet,
    pub resource: Option<String>,
    pub challenge: Option<CodeChallenge>,
    pub expires_at: i64,
    /// Redeemed already.
    pub used: bool,
}

/// Whether presenting this code is a replay that must revoke what it
/// issued (RFC 6749 4.1.2): a used code, presented by the client it was
/// issued to. Another client presenting it learns nothing and revokes
/// nothing, so a code leaked to a third party cannot be used to end the
/// legitimate client's grant.
pub fn is_replay(client: &Client, code: &StoredCode) -> bool {
    code.used && code.client_id == client.id.as_str()
}

/// Checks a token request against the stored code and decides the grant.
pub fn grant(
    client: &Client,
    code: &StoredCode,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: i64,
) -> Result<AccessGrant, OAuthError> {
    // One text for every mismatch: a guesser learns nothing about why.
    let bad = || OAuthError::invalid_grant("the authorization code is invalid or expired");
    if code.used || code.client_id != client.id.as_str() || now >= code.expires_at {
        return Err(bad());
    }
    // RFC 6749 4.1.3: required, and identical, when the authorization
    // request named one; an omitted one there was resolved to the single
    // registered URI, so equality is required whenever the client sends it.
    match redirect_uri {
        Some(uri) if uri != code.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
        None if code.redirect_uri_given => {
            return Err(OAuthError::invalid_request(
                "redirect_uri is required: the authorization request named one",
            ));
        }
        _ => {}
    }
    match (&code.challenge, code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.verify(verifier) => {}
        (Some(_), Some(_)) => return Err(OAuthError::invalid_grant("PKCE verification failed")),
        (Some(_), None) => {
            return Err(OAuthError::invalid_request("code_verifier is required"));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent but the authorization request had no code_challenge",
            ));
        }
        (None, None) if client.kind == ClientKind::Public => return Err(bad()),
        (None, None) => {}
    }
    Ok(AccessGrant {
        subject: code.user_id.clone(),
        client_id: client.id.clone(),
        scopes: code.scopes.clone(),
        partner: None,
    })
}

#[cfg(test)]
mod tests {
    use idmap_common::error::ErrorCode;

    use super::*;
    use crate::domain::client::ClientId;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn client() -> Client {
        Client {
            id: ClientId::parse("c1").unwrap(),
            name: None,
            partner: None,
            scopes: ScopeSet::parse("profile").unwrap(),
            kind: ClientKind::Public,
            redirect_uris: vec!["https://a/cb".into()],
            disabled: false,
            secret_hashes: vec![],
            owner: None,
        }
    }

    fn code() -> StoredCode {
        StoredCode {
            client_id: "c1".into(),
            user_id: "u1".into(),
            redirect_uri: "https://a/cb".into(),
            redirect_uri_given: false,
            scopes: ScopeSet::parse("profile").unwrap(),
            resource: None,
            challenge: Some(CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap()),
            expires_at: 100,
            used: false,
        }
    }

    #[test]
    fn a_matching_request_gets_a_user_grant() {
        let g = grant(&client(), &code(), Some("https://a/cb"), Some(VERIFIER), 50).unwrap();
        assert_eq!(g.subject, "u1");
        assert!(g.partner.is_none());
    }

    #[test]
    fn mismatches_are_invalid_grant() {
        let c = client();
        let e = |r: Result<AccessGrant, OAuthError>| r.unwrap_err().code;
        assert_eq!(
            e(grant(&c, &code(), None, Some(VERIFIER), 100)),
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            e(grant(&c, &code(), Some("https://a/cb2"), Some(VERIFIER), 1)),
            ErrorCode::InvalidGrant
        );
        let wrong = "x".repeat(43);
        assert_eq!(
            e(grant(&c, &code(), None, Some(&wrong), 1)),
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            e(grant(&c, &code(), None, None, 1)),
            ErrorCode::InvalidRequest
        );
        let mut other = code();
        other.client_id = "c2".into();
        assert_eq!(
            e(grant(&c, &other, None, Some(VERIFIER), 1)),
            ErrorCode::InvalidGrant
        );
    }

    #[test]
    fn a_named_redirect_uri_must_be_named_again() {
        let c = client();
        let mut named = code();
        named.redirect_uri_given = true;
        assert_eq!(
            grant(&c, &named, None, Some(VERIFIER), 1).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert!(grant(&c, &named, Some("https://a/cb"), Some(VERIFIER), 1).is_ok());
        assert!(grant(&c, &code(), None, Some(VERIFIER), 1).is_ok());
    }

    #[test]
    fn only_the_codes_own_client_replays_it() {
        let mut used = code();
        used.used = true;
        assert!(is_replay(&client(), &used));
        assert_eq!(
            grant(&client(), &used, None, Some(VERIFIER), 1)
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
        let mut other = client();
        other.id = ClientId::parse("c2").unwrap();
        assert!(!is_replay(&other, &used));
        assert!(!is_replay(&client(), &code()));
    }
}
