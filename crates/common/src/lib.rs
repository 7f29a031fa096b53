//! Types every idmap component agrees on: wire formats, identifiers, token
//! claims, error bodies, and the JWT verifier other internal services import.
//!
//! This crate has no web framework and no database in its dependencies so
//! that any Rust service can depend on it cheaply.

pub mod claims;
pub mod clock;
pub mod error;
pub mod fingerprint;
pub mod hash;
pub mod ids;
pub mod jws;
pub mod link_uuid;
pub mod verifier;
pub mod wire;

pub use claims::{AccessClaims, Audience};
pub use hash::Sha256Hash;
pub use link_uuid::LinkUuid;
pub use verifier::{Verifier, VerifierConfig, VerifyError};
