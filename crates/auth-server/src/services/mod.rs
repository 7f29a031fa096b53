//! Application services: each combines domain logic with storage and keys
//! for one use case, so handlers and the admin CLI stay thin.

pub mod clients;
pub mod issuer;
pub mod token;
