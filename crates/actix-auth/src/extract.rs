//! The extractors: read the bearer token, verify it with the app's
//! `web::Data<Verifier>`, and check a scope declared as a type, so that a
//! handler's signature says what it requires.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use idmap_common::claims::AccessClaims;
use idmap_common::verifier::Verifier;

use crate::error::AuthError;

/// The verified claims of any valid access token for this service.
#[derive(Debug, Clone)]
pub struct BearerClaims(pub AccessClaims);

impl Deref for BearerClaims {
    type Target = AccessClaims;
    fn deref(&self) -> &AccessClaims {
        &self.0
    }
}

/// A scope a route requires, declared once as a type.
pub trait ScopeName {
    /// The scope's wire name, e.g. `idmap:read`.
    const SCOPE: &'static str;
}

/// The verified claims of a token that carries `S::SCOPE`.
#[derive(Debug, Clone)]
pub struct RequireScope<S: ScopeName>(pub AccessClaims, PhantomData<S>);

impl<S: ScopeName> RequireScope<S> {
    /// The claims, for handlers that want to own them.
    pub fn into_inner(self) -> AccessClaims {
        self.0
    }
}

impl<S: ScopeName> Deref for RequireScope<S> {
    type Target = AccessClaims;
    fn deref(&self) -> &AccessClaims {
        &self.0
    }
}

/// What the request presents: no bearer token (`Ok(None)`, RFC 6750 section
/// 3.1: no error code), a token, or a header that is a bearer attempt but
/// unusable (`Err`, answered as `invalid_token`). Another scheme counts as no
/// bearer token; two `Authorization` headers are refused rather than one
/// picked, so a proxy and the service cannot disagree on which was checked.
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

/// Verifies the request's token; the realm is the verifier's audience.
async fn verify(
    verifier: Option<web::Data<Verifier>>,
    token: Result<Option<String>, &'static str>,
) -> Result<AccessClaims, AuthError> {
    let Some(verifier) = verifier else {
        tracing::error!("no web::Data<Verifier> registered; refusing every token");
        return Err(AuthError::Unavailable);
    };
    let realm = verifier.config().audience.clone();
    let token = match token {
        Ok(Some(token)) => token,
        Ok(None) => return Err(AuthError::Missing { realm }),
        Err(reason) => {
            return Err(AuthError::Invalid {
                realm,
                reason: reason.to_owned(),
            });
        }
    };
    match verifier.verify(&token).await {
        Ok(claims) => Ok(claims),
        Err(e) if e.is_temporary() => Err(AuthError::Unavailable),
        Err(e) => Err(AuthError::Invalid {
            realm,
            reason: e.to_string(),
        }),
    }
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AuthError>>>>;

impl FromRequest for BearerClaims {
    type Error = AuthError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move { verify(verifier, token).await.map(BearerClaims) })
    }
}

impl<S: ScopeName + 'static> FromRequest for RequireScope<S> {
    type Error = AuthError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let realm = verifier
            .as_ref()
            .map(|v| v.config().audience.clone())
            .unwrap_or_default();
        let token = bearer_token(req);
        Box::pin(async move {
            let claims = verify(verifier, token).await?;
            if claims.has_scope(S::SCOPE) {
                Ok(RequireScope(claims, PhantomData))
            } else {
                Err(AuthError::InsufficientScope {
                    realm,
                    scope: S::SCOPE,
                })
            }
        })
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
        assert!(presented(&["Bearer "]).is_err());
        assert!(presented(&["Bearer abc", "Bearer abc"]).is_err());
    }
}
