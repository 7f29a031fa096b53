//! What every `/api/*` route requires of its caller, stated as the type of
//! a handler argument: the shared bearer edge (`idmap-actix-auth`) with a
//! scope, answered in this service's error envelope.
//!
//! The edge only looks at headers, never at the body, so the check order of
//! the design (token 401, scope 403, partner 403, then the body) holds:
//! handlers take the body unread (`routes::call::Call`) and read it after
//! this passed.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev};
use idmap_actix_auth::{RequireScope, ScopeName};
use idmap_common::AccessClaims;
use idmap_common::ids::{PartnerCode, SCOPE_IDMAP_ADMIN, SCOPE_LINK, SCOPE_READ};

use crate::error::ApiError;

/// A caller whose token is valid and carries scope `S`.
pub type Authorized<S> = RequireScope<S, ApiError>;

/// `idmap:link`: submit hashes, get UUIDs.
pub struct Link;
impl ScopeName for Link {
    const SCOPE: &'static str = SCOPE_LINK;
}

/// `idmap:read`: read-only lookups.
pub struct Read;
impl ScopeName for Read {
    const SCOPE: &'static str = SCOPE_READ;
}

/// `idmap:admin`: linkage administration under `/api/v1/admin/`.
pub struct Admin;
impl ScopeName for Admin {
    const SCOPE: &'static str = SCOPE_IDMAP_ADMIN;
}

/// A caller with scope `idmap:link` whose token was issued to a partner,
/// as every partner route requires: without one, 403 `partner_required`
/// after the token and scope checks.
pub struct Partner {
    claims: AccessClaims,
    pub code: PartnerCode,
}

impl Deref for Partner {
    type Target = AccessClaims;
    fn deref(&self) -> &AccessClaims {
        &self.claims
    }
}

impl FromRequest for Partner {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let caller = Authorized::<Link>::from_request(req, payload);
        Box::pin(async move {
            let claims = caller.await?.into_inner();
            let code = claims
                .partner
                .as_deref()
                .and_then(|p| PartnerCode::parse(p).ok())
                .ok_or(ApiError::PartnerRequired)?;
            Ok(Self { claims, code })
        })
    }
}
