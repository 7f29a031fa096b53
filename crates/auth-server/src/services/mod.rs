//! Application services: each combines domain logic with storage and keys
//! for one use case, so handlers and the admin CLI stay thin.

pub mod access_tokens;
pub mod accounts;
pub mod applications;
pub mod authorize;
pub mod client_secrets;
pub mod clients;
pub mod consents;
pub mod credentials;
pub mod entitlements;
pub mod families;
pub mod groups;
pub mod introspect;
pub mod issuer;
pub mod mailer;
pub mod metadata;
pub mod rate_limit;
pub mod token;
pub mod user_grants;
pub mod users;
pub mod verified_tokens;
