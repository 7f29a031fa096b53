//! Pure OAuth logic: no HTTP, no database, no files. Each piece is unit
//! tested beside its code.

pub mod client;
pub mod client_auth;
pub mod client_secret;
pub mod grants;
pub mod oauth_error;
pub mod params;
pub mod scopes;
