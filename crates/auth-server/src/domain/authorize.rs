//! The authorization request (RFC 6749 4.1.1 and 4.2.1, RFC 7636, RFC
//! 8707), validated in the order RFC 6749 4.1.2.1 prescribes: first the
//! client and redirect URI, whose failure must not redirect (an error page
//! instead, so we never redirect to an unverified URI), then everything
//! else, whose failure is redirected back to the client.

use super::client::{Client, ClientKind};
use super::oauth_error::OAuthError;
use super::params::Params;
use super::pkce::CodeChallenge;
use super::resource;
use super::scopes::{Scope, ScopeSet};

/// `response_type` values this server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    /// The implicit grant; only when enabled in the configuration.
    Token,
}

/// A fully validated request, ready for login and consent.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub response_type: ResponseType,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub state: Option<String>,
    pub challenge: Option<CodeChallenge>,
    /// The `resource` as sent (validated).
    pub resource: Option<String>,
}

/// Why a request was refused, and how the refusal must be delivered.
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// Unknown client or bad redirect URI: show a page, never redirect.
    Page(String),
    /// Anything else: redirect to `redirect_uri` with the error.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
        /// Implicit-grant errors travel in the fragment.
        fragment: bool,
    },
}

/// Scopes only a client acting for itself may hold: a user-facing grant
/// must not hand a user server administration or introspection rights.
pub const CLIENT_ONLY_SCOPES: [Scope; 2] = [Scope::Admin, Scope::Introspect];

/// Checks the scopes a user-facing grant may give; `None` means the
/// client's registered scopes minus the client-only ones.
pub fn user_grant_scopes(client: &Client, requested: Option<&str>) -> Result<ScopeSet, OAuthError> {
    let allowed: Vec<Scope> = client
        .scopes
        .iter()
        .filter(|s| !CLIENT_ONLY_SCOPES.contains(s))
        .collect();
    let allowed = ScopeSet::from_scopes(allowed)
        .map_err(|_| OAuthError::invalid_scope("this client has no scope a user can grant"))?;
    match requested {
        None => Ok(allowed),
        Some(raw) => {
            let set = ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
            if set.is_subset_of(&allowed) {
                Ok(set)
            } else {
                Err(OAuthError::invalid_scope(
                    "requested scope is not registered for this client",
                ))
            }
        }
    }
}

/// Validates an authorization request for an existing `client` (`None`:
/// unknown). `implicit_enabled` is the configuration switch.
pub fn validate(
    params: &Params,
    client: Option<&Client>,
    issuer: &str,
    implicit_enabled: bool,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let client = match client {
        Some(c) if !c.disabled => c,
        _ => return Err(AuthorizeError::Page("unknown or disabled client".into())),
    };
    // Exact match against the registered list (RFC 6749 3.1.2.3; OAuth 2.1).
    let redirect_uri = match params.get("redirect_uri") {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => uri.to_owned(),
        Some(_) => {
            return Err(AuthorizeError::Page(
                "redirect_uri is not registered for this client".into(),
            ));
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return Err(AuthorizeError::Page(
                "redirect_uri is required for this client".into(),
            ));
        }
    };
    let state = params.get("state").map(str::to_owned);
    let response_type = params.get("response_type");
    let fragment = response_type == Some("token");
    let fail = |error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        fragment,
    };
    let response_type = match response_type {
        Some("code") => ResponseType::Code,
        Some("token") if implicit_enabled => ResponseType::Token,
        Some("token") => {
            return Err(fail(OAuthError::unsupported_response_type(
                "the implicit grant is disabled on this server",
            )));
        }
        Some(_) => {
            return Err(fail(OAuthError::unsupported_response_type(
                "response_type must be 'code'",
            )));
        }
        None => return Err(fail(OAuthError::invalid_request("missing response_type"))),
    };
    let challenge = match params.get("code_challenge") {
        Some(c) => {
            Some(CodeChallenge::parse(c, params.get("code_challenge_method")).map_err(fail)?)
        }
        None if client.kind == ClientKind::Public && response_type == ResponseType::Code => {
            return Err(fail(OAuthError::invalid_request(
                "public clients must use PKCE (code_challenge with S256)",
            )));
        }
        None => None,
    };
    let scopes = user_grant_scopes(client, params.get("scope")).map_err(fail)?;
    let resource = match params.get("resource") {
        Some(r) => {
            let kind = resource::parse(r, issuer).map_err(fail)?;
            resource::narrow(&scopes, Some(kind)).map_err(fail)?;
            Some(r.to_owned())
        }
        None => None,
    };
    Ok(AuthorizeRequest {
        response_type,
        redirect_uri,
        scopes,
        state,
        challenge,
        resource,
    })
}

/// Appends the response parameters to `redirect_uri` (query for codes,
/// fragment for the implicit grant), keeping its own query.
pub fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)], fragment: bool) -> String {
    let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if fragment {
        format!("{redirect_uri}#{encoded}")
    } else if redirect_uri.contains('?') {
        format!("{redirect_uri}&{encoded}")
    } else {
        format!("{redirect_uri}?{encoded}")
    }
}

/// The redirect carrying an error (RFC 6749 4.1.2.1).
pub fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    error: &OAuthError,
    fragment: bool,
) -> String {
    let mut pairs = vec![
        ("error", error.wire()),
        ("error_description", error.description.as_str()),
    ];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    redirect_with(redirect_uri, &pairs, fragment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::ClientId;

    fn client(kind: ClientKind) -> Client {
        Client {
            id: ClientId::parse("c1").unwrap(),
            name: Some("App".into()),
            partner: None,
            scopes: ScopeSet::parse("idmap:read profile admin").unwrap(),
            kind,
            redirect_uris: vec!["https://app.example/cb".into()],
            disabled: false,
            secret_hashes: vec![],
        }
    }

    fn params(p: &[(&str, &str)]) -> Params {
        Params::from_pairs(p.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()).unwrap()
    }

    const CH: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn unknown_client_or_redirect_is_a_page() {
        let p = params(&[("response_type", "code")]);
        assert!(matches!(
            validate(&p, None, "i", false),
            Err(AuthorizeError::Page(_))
        ));
        let p = params(&[
            ("response_type", "code"),
            ("redirect_uri", "https://app.example/cb/x"),
        ]);
        let c = client(ClientKind::Confidential);
        assert!(matches!(
            validate(&p, Some(&c), "i", false),
            Err(AuthorizeError::Page(_))
        ));
    }

    #[test]
    fn other_errors_redirect_with_state() {
        let c = client(ClientKind::Public);
        let p = params(&[("response_type", "code"), ("state", "s1")]);
        match validate(&p, Some(&c), "i", false) {
            Err(AuthorizeError::Redirect { state, error, .. }) => {
                assert_eq!(state.as_deref(), Some("s1"));
                assert_eq!(error.wire(), "invalid_request");
            }
            other => panic!("{other:?}"),
        }
        let p = params(&[("response_type", "token")]);
        match validate(&p, Some(&c), "i", false) {
            Err(AuthorizeError::Redirect {
                error, fragment, ..
            }) => {
                assert_eq!(error.wire(), "unsupported_response_type");
                assert!(fragment);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn default_scopes_leave_out_client_only_ones() {
        let c = client(ClientKind::Public);
        let p = params(&[
            ("response_type", "code"),
            ("code_challenge", CH),
            ("code_challenge_method", "S256"),
        ]);
        let r = validate(&p, Some(&c), "i", false).unwrap();
        assert_eq!(r.scopes.to_string(), "idmap:read profile");
        assert_eq!(r.redirect_uri, "https://app.example/cb");
        let p = params(&[("response_type", "code"), ("scope", "admin")]);
        let c = client(ClientKind::Confidential);
        assert!(matches!(
            validate(&p, Some(&c), "i", false),
            Err(AuthorizeError::Redirect { error, .. }) if error.wire() == "invalid_scope"
        ));
    }

    #[test]
    fn redirects_keep_the_registered_query() {
        assert_eq!(
            redirect_with(
                "https://a/cb?x=1",
                &[("code", "c d"), ("state", "s")],
                false
            ),
            "https://a/cb?x=1&code=c+d&state=s"
        );
        assert_eq!(
            redirect_with("https://a/cb", &[("a", "b")], true),
            "https://a/cb#a=b"
        );
    }
}
