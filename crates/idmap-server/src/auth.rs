//! What every `/api/*` route requires of its caller, stated as the type of
//! a handler argument: the shared bearer edge (`idmap-actix-auth`) with a
//! scope, answered in this service's error envelope.
//!
//! The edge only looks at headers, never at the body, so the check order of
//! the design (token 401, scope 403, partner 403, then the body) holds:
//! handlers take the body as a raw stream and read it after this passed.

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

/// The partner the token was issued to; link endpoints need one.
pub fn partner(claims: &AccessClaims) -> Result<PartnerCode, ApiError> {
    claims
        .partner
        .as_deref()
        .and_then(|p| PartnerCode::parse(p).ok())
        .ok_or(ApiError::PartnerRequired)
}
