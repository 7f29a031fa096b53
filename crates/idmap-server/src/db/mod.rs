//! Storage of the linkage data: one module per table, plus [`link`], the
//! aggregate that loads what a request touches and applies a linkage plan in
//! one transaction. Queries are portable diesel DSL over
//! [`idmap_storage::DbConnection`]; reads are set-based and chunked so that
//! no statement exceeds a backend's bind-parameter limit (the helpers of
//! `idmap_storage::query`).

pub mod admin;
pub mod audit;
pub mod bindings;
pub mod conflicts;
pub mod link;
pub mod merges;
pub mod patient_refs;
pub mod patterns;
pub mod rules;
pub mod same_partner;
pub mod schema;
pub mod stats;
pub mod stored;
pub mod uuids;

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use idmap_storage::{DbConnection, Migrations, StorageError};

pub(crate) use idmap_storage::query::{
    Column, Columns, MAX_PARAMS, insert_columns, insert_rows, key_in, load_chunked, load_rows,
    rows_per_insert,
};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/idmap/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../../migrations/idmap/postgres");
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/idmap/mysql");

/// The embedded migration trees of idmap-server.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: SQLITE_MIGRATIONS,
        postgres: POSTGRES_MIGRATIONS,
        mysql: MYSQL_MIGRATIONS,
    }
}

/// The linkage tables, whose planner statistics a bulk load makes stale.
pub const LINKAGE_TABLES: &[&str] = &["uuids", "bindings", "patient_refs"];

/// Row count of every linkage table, for tests that check that a refused
/// request wrote nothing (the audit log is not linkage data: see
/// [`audit::count`]).
pub fn row_counts(conn: &mut DbConnection) -> Result<BTreeMap<&'static str, i64>, StorageError> {
    use schema::*;
    let mut counts = BTreeMap::new();
    counts.insert("rules", rules::table.count().get_result(conn)?);
    counts.insert("uuids", uuids::table.count().get_result(conn)?);
    counts.insert("bindings", bindings::table.count().get_result(conn)?);
    counts.insert(
        "patient_refs",
        patient_refs::table.count().get_result(conn)?,
    );
    counts.insert("conflicts", conflicts::table.count().get_result(conn)?);
    counts.insert("merges", merges::table.count().get_result(conn)?);
    counts.insert(
        "ambiguous_hashes",
        ambiguous_hashes::table.count().get_result(conn)?,
    );
    counts.insert("duplicates", duplicates::table.count().get_result(conn)?);
    counts.insert(
        "distinct_refs",
        distinct_refs::table.count().get_result(conn)?,
    );
    counts.insert(
        "shared_hashes",
        shared_hashes::table.count().get_result(conn)?,
    );
    counts.insert(
        "agreement_patterns",
        agreement_patterns::table.count().get_result(conn)?,
    );
    Ok(counts)
}
