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

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Verifies the request's token; the realm is the verifier's audience.
async fn verify(
    verifier: Option<web::Data<Verifier>>,
    token: Option<String>,
) -> Result<AccessClaims, AuthError> {
    let Some(verifier) = verifier else {
        tracing::error!("no web::Data<Verifier> registered; refusing every token");
        return Err(AuthError::Unavailable);
    };
    let realm = verifier.config().audience.clone();
    let Some(token) = token else {
        return Err(AuthError::Missing { realm });
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

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let req = TestRequest::default()
            .insert_header(("authorization", "bearer abc"))
            .to_http_request();
        assert_eq!(bearer_token(&req).as_deref(), Some("abc"));
        let req = TestRequest::default()
            .insert_header(("authorization", "Basic abc"))
            .to_http_request();
        assert_eq!(bearer_token(&req), None);
        assert_eq!(
            bearer_token(&TestRequest::default().to_http_request()),
            None
        );
    }
}
