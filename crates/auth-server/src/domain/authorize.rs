//! The authorization request (RFC 6749 4.1.1 and 4.2.1, RFC 7636, RFC
//! 8707), validated in the order RFC 6749 4.1.2.1 prescribes: first the
//! client and redirect URI, whose failure must not redirect (an error page
//! instead, so we never redirect to an unverified URI), then everything
//! else, whose failure is redirected back to the client only when the
//! client is trusted with error redirects (RFC 9700 4.11.2), and shown on
//! our own page otherwise.

use super::client::{Client, ClientKind};
use super::oauth_error::OAuthError;
use super::params::Params;
use super::pkce::CodeChallenge;
use super::redirect_uri;
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
    /// Whether the request named `redirect_uri` (then the token request
    /// must name it too, RFC 6749 4.1.3).
    pub redirect_uri_given: bool,
    pub scopes: ScopeSet,
    pub state: Option<String>,
    pub challenge: Option<CodeChallenge>,
    /// The `resource` as sent (validated).
    pub resource: Option<String>,
}

/// Why a request was refused, and how the refusal must be delivered.
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// Unknown client, bad redirect URI, or any error of a client not
    /// trusted with error redirects: show a page, never redirect.
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
/// must not hand a user server administration or introspection rights,
/// and `idmap:link` needs the `partner` claim, which only a partner's own
/// client credentials carry (the ID-mapping API refuses a user's token for
/// it anyway).
pub const CLIENT_ONLY_SCOPES: [Scope; 3] = [Scope::Admin, Scope::Introspect, Scope::IdmapLink];

/// Checks the scopes a user-facing grant may give; `None` means the
/// client's registered scopes minus the client-only ones.
pub fn user_grant_scopes(client: &Client, requested: Option<&str>) -> Result<ScopeSet, OAuthError> {
    let allowed = client
        .scopes
        .filter(|s| !CLIENT_ONLY_SCOPES.contains(&s))
        .ok_or_else(|| OAuthError::invalid_scope("this client has no scope a user can grant"))?;
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

/// How `error` reaches the user once client and redirect URI are known:
/// redirected back for a client trusted with error redirects, on our own
/// page for any other.
pub fn refusal(
    client: &Client,
    redirect_uri: &str,
    state: Option<&str>,
    error: OAuthError,
    fragment: bool,
) -> AuthorizeError {
    if client.redirects_errors() {
        AuthorizeError::Redirect {
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
            error,
            fragment,
        }
    } else {
        AuthorizeError::Page(format!("{} ({})", error.description, error.wire()))
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
    // Exact match against the registered list (RFC 6749 3.1.2.3; OAuth
    // 2.1), the port of a loopback address aside (RFC 8252 7.3).
    let (redirect_uri, registered) = match params.get("redirect_uri") {
        Some(uri) => match client
            .redirect_uris
            .iter()
            .find(|r| redirect_uri::matches(r, uri))
        {
            Some(registered) => (uri.to_owned(), registered),
            None => {
                return Err(AuthorizeError::Page(
                    "redirect_uri is not registered for this client".into(),
                ));
            }
        },
        None if client.redirect_uris.len() == 1 => {
            (client.redirect_uris[0].clone(), &client.redirect_uris[0])
        }
        None => {
            return Err(AuthorizeError::Page(
                "redirect_uri is required for this client".into(),
            ));
        }
    };
    // Registered before the rules existed: refused until its owner fixes it.
    if let Err(why) = redirect_uri::check(registered, client.kind) {
        return Err(AuthorizeError::Page(format!(
            "this application's redirect URI is not allowed; its owner must change it: {why}"
        )));
    }
    let state = params.get("state");
    let response_type = params.get("response_type");
    let fragment = response_type == Some("token");
    let fail = |error: OAuthError| refusal(client, &redirect_uri, state, error, fragment);
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
        redirect_uri_given: params.get("redirect_uri").is_some(),
        redirect_uri,
        scopes,
        state: state.map(str::to_owned),
        challenge,
        resource,
    })
}

/// Narrows a validated request to the scopes its user may hold
/// ([`super::entitlements`]); nothing left is `access_denied`, delivered
/// like any other refusal of this client.
pub fn for_user(
    client: &Client,
    mut request: AuthorizeRequest,
    held: &[Scope],
    issuer: &str,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let fail = |why: &str| {
        refusal(
            client,
            &request.redirect_uri,
            request.state.as_deref(),
            OAuthError::access_denied(why),
            request.response_type == ResponseType::Token,
        )
    };
    let Some(scopes) = super::entitlements::permitted(&request.scopes, held) else {
        return Err(fail(
            "your account is not entitled to any scope this application asks for",
        ));
    };
    if let Some(r) = &request.resource {
        let kind = resource::parse(r, issuer).map_err(|e| fail(&e.description))?;
        if resource::narrow(&scopes, Some(kind)).is_err() {
            return Err(fail(
                "your account is not entitled to any scope this application asks for at this resource",
            ));
        }
    }
    request.scopes = scopes;
    Ok(request)
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
            owner: None,
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
    fn errors_of_user_registered_clients_stay_on_our_page() {
        let mut c = client(ClientKind::Public);
        c.owner = Some("u1".into());
        for p in [
            params(&[("response_type", "code"), ("state", "s1")]),
            params(&[("response_type", "token")]),
            params(&[
                ("response_type", "code"),
                ("code_challenge", CH),
                ("code_challenge_method", "S256"),
                ("scope", "admin"),
            ]),
        ] {
            match validate(&p, Some(&c), "i", false) {
                Err(AuthorizeError::Page(msg)) => assert!(msg.contains('('), "{msg}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_registered_uri_the_rules_refuse_is_a_page() {
        let mut c = client(ClientKind::Public);
        c.redirect_uris = vec!["javascript:alert(1)".into()];
        let p = params(&[
            ("response_type", "nope"),
            ("redirect_uri", "javascript:alert(1)"),
        ]);
        assert!(matches!(
            validate(&p, Some(&c), "i", false),
            Err(AuthorizeError::Page(m)) if m.contains("not allowed")
        ));
        c.redirect_uris = vec!["http://evil.example/cb".into()];
        let p = params(&[("response_type", "nope")]);
        assert!(matches!(
            validate(&p, Some(&c), "i", false),
            Err(AuthorizeError::Page(_))
        ));
    }

    #[test]
    fn the_request_remembers_whether_it_named_the_redirect_uri() {
        let c = client(ClientKind::Public);
        let base = [
            ("response_type", "code"),
            ("code_challenge", CH),
            ("code_challenge_method", "S256"),
        ];
        assert!(
            !validate(&params(&base), Some(&c), "i", false)
                .unwrap()
                .redirect_uri_given
        );
        let mut named = base.to_vec();
        named.push(("redirect_uri", "https://app.example/cb"));
        assert!(
            validate(&params(&named), Some(&c), "i", false)
                .unwrap()
                .redirect_uri_given
        );
    }

    #[test]
    fn link_is_never_granted_to_a_user() {
        let mut c = client(ClientKind::Public);
        c.scopes = ScopeSet::parse("idmap:link profile").unwrap();
        assert_eq!(user_grant_scopes(&c, None).unwrap().to_string(), "profile");
        assert_eq!(
            user_grant_scopes(&c, Some("idmap:link"))
                .unwrap_err()
                .wire(),
            "invalid_scope"
        );
    }

    #[test]
    fn scopes_the_user_is_not_entitled_to_are_dropped_or_denied() {
        let c = client(ClientKind::Public);
        let p = params(&[
            ("response_type", "code"),
            ("code_challenge", CH),
            ("code_challenge_method", "S256"),
            ("state", "s"),
        ]);
        let r = validate(&p, Some(&c), "i", false).unwrap();
        let narrowed = for_user(&c, r.clone(), &[], "i").unwrap();
        assert_eq!(narrowed.scopes.to_string(), "profile");
        let kept = for_user(&c, r, &[Scope::IdmapRead], "i").unwrap();
        assert_eq!(kept.scopes.to_string(), "idmap:read profile");

        let p = params(&[
            ("response_type", "code"),
            ("code_challenge", CH),
            ("code_challenge_method", "S256"),
            ("scope", "idmap:read"),
            ("state", "s"),
        ]);
        let r = validate(&p, Some(&c), "i", false).unwrap();
        match for_user(&c, r, &[], "i") {
            Err(AuthorizeError::Redirect { error, state, .. }) => {
                assert_eq!(error.wire(), "access_denied");
                assert_eq!(state.as_deref(), Some("s"));
            }
            other => panic!("{other:?}"),
        }
        let r = validate(
            &params(&[
                ("response_type", "code"),
                ("code_challenge", CH),
                ("code_challenge_method", "S256"),
                ("resource", "idmap"),
            ]),
            Some(&c),
            "i",
            false,
        )
        .unwrap();
        assert!(matches!(
            for_user(&c, r, &[], "i"),
            Err(AuthorizeError::Redirect { error, .. }) if error.wire() == "access_denied"
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
