//! The scopes this server's own bearer-protected endpoints require (the
//! admin API, userinfo, the user-center API), as extractor types of the
//! shared bearer edge answered in this server's envelope. The edge checks
//! our own tokens through `services::access_tokens::LocalVerifier`.

use idmap_actix_auth::{RequireScope, ScopeName};

use crate::error::ApiError;

/// `admin`: the admin JSON API.
pub struct AdminScope;
impl ScopeName for AdminScope {
    const SCOPE: &'static str = "admin";
}

/// `profile`: userinfo and the user-center API.
pub struct ProfileScope;
impl ScopeName for ProfileScope {
    const SCOPE: &'static str = "profile";
}

/// A caller of the admin API.
pub type Admin = RequireScope<AdminScope, ApiError>;

/// A caller of userinfo or the user-center API.
pub type Profile = RequireScope<ProfileScope, ApiError>;
