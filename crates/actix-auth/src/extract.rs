//! The extractors: [`authenticate`] as handler arguments, so that a
//! handler's signature says what it requires. Both are generic over the
//! error the service answers with (`E: From<AuthError>`), defaulting to
//! [`AuthError`]'s own RFC 6750 answer.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use idmap_common::claims::AccessClaims;

use crate::edge::authenticate;
use crate::error::AuthError;

/// The verified claims of any valid access token for this service.
#[derive(Debug, Clone)]
pub struct BearerClaims<E = AuthError>(AccessClaims, PhantomData<fn() -> E>);

impl<E> BearerClaims<E> {
    /// The claims, for handlers that want to own them.
    pub fn into_inner(self) -> AccessClaims {
        self.0
    }
}

impl<E> Deref for BearerClaims<E> {
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
pub struct RequireScope<S: ScopeName, E = AuthError>(AccessClaims, PhantomData<fn() -> (S, E)>);

impl<S: ScopeName, E> RequireScope<S, E> {
    /// The claims, for handlers that want to own them.
    pub fn into_inner(self) -> AccessClaims {
        self.0
    }
}

impl<S: ScopeName, E> Deref for RequireScope<S, E> {
    type Target = AccessClaims;
    fn deref(&self) -> &AccessClaims {
        &self.0
    }
}

type Fut<T, E> = Pin<Box<dyn Future<Output = Result<T, E>>>>;

impl<E> FromRequest for BearerClaims<E>
where
    E: From<AuthError> + Into<actix_web::Error> + 'static,
{
    type Error = E;
    type Future = Fut<Self, E>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let claims = authenticate(req, None);
        Box::pin(async move { Ok(Self(claims.await?, PhantomData)) })
    }
}

impl<S, E> FromRequest for RequireScope<S, E>
where
    S: ScopeName + 'static,
    E: From<AuthError> + Into<actix_web::Error> + 'static,
{
    type Error = E;
    type Future = Fut<Self, E>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let claims = authenticate(req, Some(S::SCOPE));
        Box::pin(async move { Ok(Self(claims.await?, PhantomData)) })
    }
}
