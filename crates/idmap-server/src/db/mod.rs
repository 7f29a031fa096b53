//! Storage of the linkage data: one module per table, plus [`link`], the
//! aggregate that loads what a request touches and applies a linkage plan in
//! one transaction. Queries are portable diesel DSL over
//! [`idmap_storage::DbConnection`]; reads are set-based and chunked so that
//! no statement exceeds a backend's bind-parameter limit.

pub mod admin;
pub mod audit;
pub mod bindings;
pub mod conflicts;
mod key_in;
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
use diesel::query_builder::InsertStatement;
use diesel::query_dsl::methods::{ExecuteDsl, LoadQuery};
use diesel::{MysqlConnection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use idmap_storage::{DbConnection, Migrations, StorageError};

/// Bind parameters per statement, below SQLite's 32766 and the 65535 of
/// PostgreSQL and MySQL.
pub(crate) const MAX_PARAMS: usize = 30_000;

/// Rows per multi-row insert of a table with `columns` columns.
pub(crate) const fn rows_per_insert(columns: usize) -> usize {
    MAX_PARAMS / columns
}

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

/// Inserts `rows`: one multi-row statement on PostgreSQL and MySQL, where
/// each statement is a round trip, and one cached single-row statement per
/// row on SQLite, where a statement is a function call. A multi-row
/// statement there is parsed afresh for every batch size and journals every
/// page it touches to memory (its statement journal), which cost more CPU
/// and tens of MiB on large requests. This is the one place that dispatches
/// on the concrete connection for an insert.
pub(crate) fn insert_rows<'a, T, R>(
    conn: &mut DbConnection,
    table: T,
    rows: &'a [R],
) -> Result<usize, StorageError>
where
    T: Table + Copy,
    &'a R: Insertable<T>,
    &'a [R]: Insertable<T>,
    InsertStatement<T, <&'a R as Insertable<T>>::Values>: ExecuteDsl<SqliteConnection>,
    InsertStatement<T, <&'a [R] as Insertable<T>>::Values>:
        ExecuteDsl<PgConnection> + ExecuteDsl<MysqlConnection>,
{
    if rows.is_empty() {
        return Ok(0);
    }
    let count = match conn {
        DbConnection::Sqlite(c) => {
            let mut count = 0;
            for row in rows {
                count += diesel::insert_into(table).values(row).execute(c)?;
            }
            count
        }
        DbConnection::Postgres(c) => diesel::insert_into(table).values(rows).execute(c)?,
        DbConnection::Mysql(c) => diesel::insert_into(table).values(rows).execute(c)?,
    };
    Ok(count)
}

/// Loads the rows of `query` on the concrete connection. Through
/// `DbConnection` diesel writes a statement's SQL out again on every
/// execution, even when the statement is cached; the reads of every link
/// request go this way instead.
pub(crate) fn load_rows<'q, Q, U>(conn: &mut DbConnection, query: Q) -> Result<Vec<U>, StorageError>
where
    Q: LoadQuery<'q, SqliteConnection, U>
        + LoadQuery<'q, PgConnection, U>
        + LoadQuery<'q, MysqlConnection, U>,
{
    let rows = match conn {
        DbConnection::Sqlite(c) => query.load(c)?,
        DbConnection::Postgres(c) => query.load(c)?,
        DbConnection::Mysql(c) => query.load(c)?,
    };
    Ok(rows)
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
