//! Pure OAuth logic: no HTTP, no database, no files. Each piece is unit
//! tested beside its code.

pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod client_secret;
pub mod entitlements;
pub mod grants;
pub mod homepage;
pub mod local_path;
pub mod oauth_error;
pub mod opaque;
pub mod params;
pub mod password_policy;
pub mod pkce;
pub mod redirect_uri;
pub mod resource;
pub mod scopes;
pub mod throttle;
pub mod user;
