//! Query helpers both services may need, written once against
//! [`DbConnection`]: statements kept within every backend's bind-parameter
//! limit, inserts and reads run on the concrete connection so that their
//! statements stay cached, and the `IN` filter of a fixed shape
//! ([`key_in`]).

use diesel::prelude::*;
use diesel::query_builder::InsertStatement;
use diesel::query_dsl::methods::{ExecuteDsl, LoadQuery};
use diesel::{MysqlConnection, PgConnection, SqliteConnection};

pub use crate::columns::{Column, Columns};
pub use crate::key_in::{CACHED_UP_TO, KeyIn, PaddedList, key_in};
use crate::{DbConnection, StorageError, columns};

/// Bind parameters per statement, below SQLite's 32766 and the 65535 of
/// PostgreSQL and MySQL.
pub const MAX_PARAMS: usize = 30_000;

/// Rows per multi-row insert of a table with `columns` columns.
pub const fn rows_per_insert(columns: usize) -> usize {
    MAX_PARAMS / columns
}

/// Inserts `rows`: one multi-row statement on PostgreSQL and MySQL, where
/// each statement is a round trip, and one cached single-row statement per
/// row on SQLite, where a statement is a function call. A multi-row
/// statement there is parsed afresh for every batch size and journals every
/// page it touches to memory (its statement journal), which cost more CPU
/// and tens of MiB on large requests. This is the one place that dispatches
/// on the concrete connection for an insert.
pub fn insert_rows<'a, T, R>(
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

/// Inserts `rows` of a table that link requests fill by the hundred in
/// statements of a fixed shape (see [`Columns`]): one array per column on
/// PostgreSQL, multi-row statements of 32 rows on SQLite. MySQL has no
/// arrays and goes through [`insert_rows`]: preparing statements, its
/// multi-row inserts among them, took under 2% of its statement time.
pub fn insert_columns<'a, T, R>(
    conn: &mut DbConnection,
    table: T,
    rows: &'a [R],
) -> Result<usize, StorageError>
where
    T: Table + Copy,
    R: Columns<'a>,
    &'a R: Insertable<T>,
    &'a [R]: Insertable<T>,
    InsertStatement<T, <&'a R as Insertable<T>>::Values>: ExecuteDsl<SqliteConnection>,
    InsertStatement<T, <&'a [R] as Insertable<T>>::Values>:
        ExecuteDsl<PgConnection> + ExecuteDsl<MysqlConnection>,
{
    if rows.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConnection::Postgres(c) => Ok(columns::insert_unnest(c, rows)?),
        DbConnection::Sqlite(c) => Ok(columns::insert_sqlite(c, rows)?),
        other => insert_rows::<T, R>(other, table, rows),
    }
}

/// Loads the rows of `query` on the concrete connection. Through
/// `DbConnection` diesel writes a statement's SQL out again on every
/// execution, even when the statement is cached; the reads of every link
/// request go this way instead.
pub fn load_rows<'q, Q, U>(conn: &mut DbConnection, query: Q) -> Result<Vec<U>, StorageError>
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

/// The rows `query` answers for `keys`, asked [`MAX_PARAMS`] keys at a
/// time (through [`load_rows`]), so that no statement exceeds a backend's
/// bind limit however many keys there are.
pub fn load_chunked<'k, 'q, K, Q, U>(
    conn: &mut DbConnection,
    keys: &'k [K],
    query: impl Fn(&'k [K]) -> Q,
) -> Result<Vec<U>, StorageError>
where
    Q: LoadQuery<'q, SqliteConnection, U>
        + LoadQuery<'q, PgConnection, U>
        + LoadQuery<'q, MysqlConnection, U>,
{
    let mut rows = Vec::new();
    for chunk in keys.chunks(MAX_PARAMS) {
        rows.extend(load_rows(conn, query(chunk))?);
    }
    Ok(rows)
}
