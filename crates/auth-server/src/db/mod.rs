//! Storage of auth-server: one file per table or aggregate, each a set of
//! plain functions over a `&mut DbConnection`, written once for all three
//! backends. The migration trees live in `migrations/auth/`.

pub mod auth_codes;
pub mod auth_failures;
pub mod clients;
pub mod consents;
pub mod email_tokens;
pub mod entitlements;
pub mod groups;
pub mod partners;
pub mod refresh_tokens;
pub mod revoked_tokens;
pub mod schema;
pub mod users;

use std::sync::atomic::{AtomicU64, Ordering};

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use idmap_storage::Migrations;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/auth/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/auth/postgres");
const MYSQL: EmbeddedMigrations = embed_migrations!("../../migrations/auth/mysql");

/// The auth database's migrations for every backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: SQLITE,
        postgres: POSTGRES,
        mysql: MYSQL,
    }
}

/// Writes this process made to clients, their secrets or the revoked
/// tokens, counted so that its credential snapshot
/// ([`crate::services::credentials`]) reloads before its next answer
/// instead of at the next poll. Bumped inside the writing transaction.
static CREDENTIAL_WRITES: AtomicU64 = AtomicU64::new(0);

/// Counts a write to clients, secrets or revoked tokens (see above).
pub fn credentials_written() {
    CREDENTIAL_WRITES.fetch_add(1, Ordering::SeqCst);
}

/// How many writes [`credentials_written`] counted so far.
pub fn credential_writes() -> u64 {
    CREDENTIAL_WRITES.load(Ordering::SeqCst)
}
