//! The one HTTP edge for bearer tokens: read the `Authorization` header,
//! have the registered [`TokenVerifier`] vouch for the token, check the
//! scope. Every service that takes our access tokens answers through here,
//! so the services cannot disagree on what a bearer token is.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header;
use idmap_common::claims::AccessClaims;
use idmap_common::verifier::{Verifier, VerifyError};

use crate::error::{AuthError, Invalid};

/// Why a [`TokenVerifier`] did not vouch for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// The token is not acceptable: 401 `invalid_token`.
    Token(VerifyError),
    /// The token could not be judged now (no keys yet, the revocation list
    /// unreachable): 503, the client should retry.
    Unavailable,
}

impl From<VerifyError> for Rejected {
    fn from(e: VerifyError) -> Self {
        if e.is_temporary() {
            Self::Unavailable
        } else {
            Self::Token(e)
        }
    }
}

/// The future a [`TokenVerifier`] answers with.
pub type Verdict<'a> = Pin<Box<dyn Future<Output = Result<AccessClaims, Rejected>> + 'a>>;

/// Whatever turns a token into verified claims: the JWKS-backed
/// [`Verifier`] of a resource server, or the issuer's check of its own
/// tokens against its key store.
pub trait TokenVerifier: Send + Sync + 'static {
    fn verify<'a>(&'a self, token: &'a str) -> Verdict<'a>;
}

impl TokenVerifier for Verifier {
    fn verify<'a>(&'a self, token: &'a str) -> Verdict<'a> {
        Box::pin(async move { Ok(Verifier::verify(self, token).await?) })
    }
}

/// The verifier and realm of a service, registered with
/// `App::app_data(BearerAuth::from(verifier))`.
#[derive(Clone)]
pub struct BearerAuth {
    verifier: Arc<dyn TokenVerifier>,
    realm: Arc<str>,
}

impl BearerAuth {
    /// `realm` is announced in every `WWW-Authenticate` challenge.
    pub fn new(verifier: impl TokenVerifier, realm: impl Into<Arc<str>>) -> Self {
        Self {
            verifier: Arc::new(verifier),
            realm: realm.into(),
        }
    }
}

/// A resource server's verifier, its audience the realm.
impl From<Verifier> for BearerAuth {
    fn from(verifier: Verifier) -> Self {
        let realm = verifier.config().audience.clone();
        Self::new(verifier, realm)
    }
}

/// The claims of the request's bearer token, carrying `scope` when one is
/// given, or the RFC 6750 failure. The returned future does not borrow the
/// request, so extractors can hand it to actix as it is.
pub fn authenticate(
    req: &HttpRequest,
    scope: Option<&'static str>,
) -> impl Future<Output = Result<AccessClaims, AuthError>> + 'static {
    let auth = req.app_data::<BearerAuth>().cloned();
    let presented = bearer_token(req);
    async move {
        let Some(auth) = auth else {
            tracing::error!("no BearerAuth registered as app data; refusing every token");
            return Err(AuthError::Unavailable);
        };
        let realm = auth.realm.to_string();
        let token = match presented {
            Ok(Some(token)) => token,
            Ok(None) => return Err(AuthError::Missing { realm }),
            Err(reason) => {
                return Err(AuthError::Invalid {
                    realm,
                    reason: Invalid::Header(reason),
                });
            }
        };
        let claims = match auth.verifier.verify(&token).await {
            Ok(claims) => claims,
            Err(Rejected::Unavailable) => return Err(AuthError::Unavailable),
            Err(Rejected::Token(e)) => {
                return Err(AuthError::Invalid {
                    realm,
                    reason: Invalid::Token(e),
                });
            }
        };
        match scope {
            Some(scope) if !claims.has_scope(scope) => {
                Err(AuthError::InsufficientScope { realm, scope })
            }
            _ => Ok(claims),
        }
    }
}

/// What the request presents: no bearer token (`Ok(None)`, RFC 6750 section
/// 3.1: no error code), a token, or a header that is a bearer attempt but
/// unusable (`Err`, answered as `invalid_token`). Another scheme counts as no
/// bearer token. Two `Authorization` headers are refused rather than one
/// picked, so a proxy and the service cannot disagree on which was checked;
/// `Bearer` with nothing after it is a broken token, not a missing one.
fn bearer_token(req: &HttpRequest) -> Result<Option<String>, &'static str> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("more than one Authorization header");
    }
    let value = value
        .to_str()
        .map_err(|_| "the Authorization header is not visible ASCII")?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    match token.trim() {
        "" => Err("the bearer token is empty"),
        token => Ok(Some(token.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn presented(headers: &[&str]) -> Result<Option<String>, &'static str> {
        let mut req = TestRequest::default();
        for h in headers {
            req = req.append_header(("authorization", *h));
        }
        bearer_token(&req.to_http_request())
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(presented(&["bearer abc"]), Ok(Some("abc".into())));
        assert_eq!(presented(&["Bearer  abc "]), Ok(Some("abc".into())));
    }

    #[test]
    fn no_header_and_other_schemes_are_no_bearer_token() {
        assert_eq!(presented(&[]), Ok(None));
        assert_eq!(presented(&["Basic abc"]), Ok(None));
        assert_eq!(presented(&["Bearer"]), Err("the bearer token is empty"));
    }

    #[test]
    fn an_empty_token_or_two_headers_are_invalid() {
        assert_eq!(presented(&["Bearer "]), Err("the bearer token is empty"));
        assert_eq!(
            presented(&["Bearer abc", "Bearer abc"]),
            Err("more than one Authorization header")
        );
        assert_eq!(
            presented(&["Basic abc", "Bearer abc"]),
            Err("more than one Authorization header")
        );
    }
}
