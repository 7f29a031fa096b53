//! Bearer-token guard of every `/api/*` route (RFC 6750): an actix extractor
//! that reads `Authorization: Bearer`, validates the JWT locally with the
//! shared verifier, and checks the scope named by its type parameter.
//!
//! It only looks at headers, never at the body, so the check order of the
//! design (token 401, scope 403, partner 403, then the body) holds: handlers
//! take the body as a raw stream and read it after this guard passed.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use idmap_common::AccessClaims;
use idmap_common::ids::{PartnerCode, SCOPE_IDMAP_ADMIN, SCOPE_LINK, SCOPE_READ};
use idmap_common::verifier::VerifyError;

use crate::error::ApiError;
use crate::startup::AppState;

/// A scope an endpoint requires, as a type so routes state it in their signature.
pub trait RequiredScope {
    const SCOPE: &'static str;
}

/// `idmap:link`: submit hashes, get UUIDs.
pub struct Link;
impl RequiredScope for Link {
    const SCOPE: &'static str = SCOPE_LINK;
}

/// `idmap:read`: read-only lookups.
pub struct Read;
impl RequiredScope for Read {
    const SCOPE: &'static str = SCOPE_READ;
}

/// `idmap:admin`: linkage administration under `/api/v1/admin/`.
pub struct Admin;
impl RequiredScope for Admin {
    const SCOPE: &'static str = SCOPE_IDMAP_ADMIN;
}

/// A caller whose token is valid and carries scope `S`.
pub struct Authorized<S> {
    pub claims: AccessClaims,
    scope: PhantomData<S>,
}

impl<S> Authorized<S> {
    /// The partner the token was issued to; link endpoints need one.
    pub fn partner(&self) -> Result<PartnerCode, ApiError> {
        self.claims
            .partner
            .as_deref()
            .and_then(|p| PartnerCode::parse(p).ok())
            .ok_or(ApiError::PartnerRequired)
    }

    /// Who acted, for the audit log: the OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.claims.client_id
    }
}

impl<S: RequiredScope + 'static> FromRequest for Authorized<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let Some(state) = state else {
                return Err(ApiError::Internal("application state missing".into()));
            };
            let token = token?;
            let claims = state.verifier.verify(&token).await.map_err(|e| match e {
                VerifyError::KeysUnavailable => {
                    ApiError::Unavailable("signing keys are not loaded yet; retry later")
                }
                other => ApiError::InvalidToken(other),
            })?;
            if !claims.has_scope(S::SCOPE) {
                return Err(ApiError::InsufficientScope(S::SCOPE));
            }
            Ok(Self {
                claims,
                scope: PhantomData,
            })
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header. A header with
/// another scheme counts as no bearer token at all (RFC 6750 section 3).
fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let mut values = req.headers().get_all(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(ApiError::MissingToken);
    };
    if values.next().is_some() {
        return Err(ApiError::InvalidToken(VerifyError::Malformed));
    }
    let value = value
        .to_str()
        .map_err(|_| ApiError::InvalidToken(VerifyError::Malformed))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingToken);
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err(ApiError::InvalidToken(VerifyError::Malformed));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn token_of(header: Option<&str>) -> Result<String, ApiError> {
        let mut req = TestRequest::default();
        if let Some(h) = header {
            req = req.insert_header((AUTHORIZATION, h));
        }
        bearer_token(&req.to_http_request())
    }

    #[test]
    fn reads_the_bearer_scheme_case_insensitively() {
        assert_eq!(token_of(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(token_of(Some("bearer  abc ")).unwrap(), "abc");
    }

    #[test]
    fn other_schemes_and_no_header_are_a_missing_token() {
        assert!(matches!(token_of(None), Err(ApiError::MissingToken)));
        assert!(matches!(
            token_of(Some("Basic dTpw")),
            Err(ApiError::MissingToken)
        ));
        assert!(matches!(
            token_of(Some("Bearer ")),
            Err(ApiError::InvalidToken(_))
        ));
    }
}
