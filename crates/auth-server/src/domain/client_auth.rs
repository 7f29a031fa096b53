//! Which credentials a token request presents (RFC 6749 section 2.3):
//! `client_secret_basic`, `client_secret_post`, or a bare `client_id` for a
//! public client. Only parsing; checking them against a stored client is
//! [`verify`]'s job.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use secrecy::{ExposeSecret, SecretString};

use super::client::{Client, ClientId, ClientKind};
use super::client_secret::SecretHasher;
use super::oauth_error::OAuthError;
use super::params::Params;

/// How the client authenticated (RFC 8414 `token_endpoint_auth_methods_supported` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client naming itself with `client_id` only.
    None,
}

impl AuthMethod {
    /// The registered name (RFC 7591 section 2).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

/// The presented client id and secret (if any), not yet checked.
#[derive(Debug)]
pub struct PresentedCredentials {
    pub method: AuthMethod,
    pub client_id: ClientId,
    pub secret: Option<SecretString>,
}

/// Reads the credentials from the `Authorization` header value (if any) and
/// the form parameters `client_id` and `client_secret`.
pub fn extract(
    authorization: Option<&[u8]>,
    params: &Params,
) -> Result<PresentedCredentials, OAuthError> {
    let form_id = params.get("client_id");
    let form_secret = params.get("client_secret");
    let Some(header) = authorization else {
        let id = form_id.ok_or_else(OAuthError::invalid_client)?;
        let client_id = ClientId::parse(id).ok_or_else(OAuthError::invalid_client)?;
        return Ok(match form_secret {
            Some(secret) => PresentedCredentials {
                method: AuthMethod::ClientSecretPost,
                client_id,
                secret: Some(SecretString::from(secret.to_owned())),
            },
            None => PresentedCredentials {
                method: AuthMethod::None,
                client_id,
                secret: None,
            },
        });
    };
    let (id, secret) = parse_basic(header).ok_or_else(OAuthError::invalid_client)?;
    if form_secret.is_some() {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method used",
        ));
    }
    // RFC 6749 3.2.1 lets a client name itself in the body as well; it must agree.
    if form_id.is_some_and(|f| f != id) {
        return Err(OAuthError::invalid_request(
            "client_id does not match the Authorization header",
        ));
    }
    let client_id = ClientId::parse(&id).ok_or_else(OAuthError::invalid_client)?;
    Ok(PresentedCredentials {
        method: AuthMethod::ClientSecretBasic,
        client_id,
        secret: Some(SecretString::from(secret)),
    })
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 2.3.1, RFC 7617).
fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, token) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let token = token.trim();
    let decoded = STANDARD
        .decode(token)
        .or_else(|_| STANDARD_NO_PAD.decode(token))
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_urldecode(id)?, form_urldecode(secret)?))
}

/// `application/x-www-form-urlencoded` decoding of one value; `None` when a
/// `%` escape is broken or the result is not UTF-8.
fn form_urldecode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Checks presented credentials against the stored client (`None` when no
/// such client exists). Every failure is the same `invalid_client`.
pub fn verify(
    presented: &PresentedCredentials,
    client: Option<&Client>,
    hasher: &SecretHasher,
) -> Result<(), OAuthError> {
    let Some(client) = client else {
        // Spend the same work as for a real client, so timing tells nothing.
        if let Some(secret) = &presented.secret {
            let _ = hasher.matches_any(secret.expose_secret(), &[]);
        }
        return Err(OAuthError::invalid_client());
    };
    if client.disabled {
        return Err(OAuthError::invalid_client());
    }
    match (client.kind, &presented.secret) {
        (ClientKind::Confidential, Some(secret))
            if hasher.matches_any(secret.expose_secret(), &client.secret_hashes) =>
        {
            Ok(())
        }
        (ClientKind::Public, None) => Ok(()),
        _ => Err(OAuthError::invalid_client()),
    }
}

#[cfg(test)]
mod tests {
    use idmap_common::error::ErrorCode;

    use super::*;
    use crate::domain::scopes::ScopeSet;

    fn params(p: &[(&str, &str)]) -> Params {
        Params::from_pairs(p.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()).unwrap()
    }

    fn basic(raw: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(raw)).into_bytes()
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let h = basic("a%3Ab%2Bc:p%40ss%2Bw+rd%3A");
        let c = extract(Some(&h), &params(&[])).unwrap();
        assert_eq!(c.method, AuthMethod::ClientSecretBasic);
        assert_eq!(c.client_id.as_str(), "a:b+c");
        assert_eq!(c.secret.unwrap().expose_secret(), "p@ss+w rd:");
    }

    #[test]
    fn scheme_is_case_insensitive_and_padding_optional() {
        let h = format!("bAsIc {}", STANDARD_NO_PAD.encode("id:s"));
        assert!(extract(Some(h.as_bytes()), &params(&[])).is_ok());
    }

    #[test]
    fn broken_basic_is_invalid_client_with_challenge() {
        for h in [
            &b"Basic !!!"[..],
            b"Bearer abc",
            b"Basic",
            &basic("nocolon"),
            &basic("a:%zz"),
        ] {
            let e = extract(Some(h), &params(&[])).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient);
        }
    }

    #[test]
    fn two_methods_at_once_is_invalid_request() {
        let e = extract(Some(&basic("a:b")), &params(&[("client_secret", "b")])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = extract(Some(&basic("a:b")), &params(&[("client_id", "c")])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(extract(Some(&basic("a:b")), &params(&[("client_id", "a")])).is_ok());
    }

    #[test]
    fn post_and_bare_id_and_nothing() {
        let c = extract(None, &params(&[("client_id", "a"), ("client_secret", "b")])).unwrap();
        assert_eq!(c.method, AuthMethod::ClientSecretPost);
        let c = extract(None, &params(&[("client_id", "a")])).unwrap();
        assert_eq!(c.method, AuthMethod::None);
        let e = extract(None, &params(&[("client_secret", "b")])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
    }

    fn client(kind: ClientKind, hasher: &SecretHasher) -> Client {
        Client {
            id: ClientId::parse("c1").unwrap(),
            name: None,
            partner: None,
            scopes: ScopeSet::parse("idmap:link").unwrap(),
            kind,
            redirect_uris: vec![],
            disabled: false,
            secret_hashes: vec![hasher.hash("right")],
            owner: None,
        }
    }

    fn presented(secret: Option<&str>) -> PresentedCredentials {
        PresentedCredentials {
            method: AuthMethod::ClientSecretPost,
            client_id: ClientId::parse("c1").unwrap(),
            secret: secret.map(|s| SecretString::from(s.to_owned())),
        }
    }

    #[test]
    fn verify_checks_secret_kind_and_state() {
        let h = SecretHasher::new([7; 32]);
        let conf = client(ClientKind::Confidential, &h);
        assert!(verify(&presented(Some("right")), Some(&conf), &h).is_ok());
        assert!(verify(&presented(Some("wrong")), Some(&conf), &h).is_err());
        assert!(verify(&presented(None), Some(&conf), &h).is_err());
        assert!(verify(&presented(Some("right")), None, &h).is_err());
        let public = client(ClientKind::Public, &h);
        assert!(verify(&presented(None), Some(&public), &h).is_ok());
        assert!(verify(&presented(Some("right")), Some(&public), &h).is_err());
        let mut disabled = conf;
        disabled.disabled = true;
        assert!(verify(&presented(Some("right")), Some(&disabled), &h).is_err());
    }
}
