//! Inserts of many rows in a fixed shape, so that each is prepared once
//! per connection whatever the row count; diesel's multi-row `VALUES`
//! statement has a shape per row count and is never kept prepared.
//!
//! - PostgreSQL: `INSERT INTO t (a, b) SELECT * FROM UNNEST($1, $2)`, one
//!   array parameter per column. It parsed and planned the 1,200
//!   parameters of a link request's `bindings` insert afresh every time.
//! - SQLite: `VALUES` of [`SQLITE_ROWS`] rows, the rest one row at a time.
//!   Against a cached single-row statement per row this took a quarter
//!   off the instructions of a link request's inserts (diesel's work
//!   around each statement, and SQLite's per statement).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Binary, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

/// One column of the rows, as the array PostgreSQL receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column<'a> {
    Binary(Vec<&'a [u8]>),
    NullableBinary(Vec<Option<&'a [u8]>>),
    Text(Vec<&'a str>),
    NullableText(Vec<Option<&'a str>>),
    Bool(Vec<bool>),
    BigInt(Vec<i64>),
}

/// A row type inserted through `UNNEST` on PostgreSQL.
pub trait Columns<'a>: Sized {
    /// The table and its column list, as in `bindings (hash, uuid)`, in the
    /// order of [`Columns::columns`].
    const INTO: &'static str;

    /// The values of `rows`, one array per column.
    fn columns(rows: &'a [Self]) -> Vec<Column<'a>>;
}

/// PostgreSQL: inserts `rows` in one statement of a fixed shape.
pub(crate) fn insert_unnest<'a, R: Columns<'a>>(
    conn: &mut PgConnection,
    rows: &'a [R],
) -> QueryResult<usize> {
    Insert {
        into: R::INTO,
        columns: R::columns(rows),
    }
    .execute(conn)
}

struct Insert<'a> {
    into: &'static str,
    columns: Vec<Column<'a>>,
}

impl QueryId for Insert<'_> {
    type QueryId = ();
    // The SQL text, one per table, names the statement in diesel's cache.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> RunQueryDsl<Conn> for Insert<'_> {}

impl QueryFragment<Pg> for Insert<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_sql(self.into);
        out.push_sql(" SELECT * FROM UNNEST(");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            match column {
                Column::Binary(v) => out.push_bind_param::<Array<Binary>, _>(v)?,
                Column::NullableBinary(v) => {
                    out.push_bind_param::<Array<Nullable<Binary>>, _>(v)?
                }
                Column::Text(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Column::NullableText(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v)?,
                Column::Bool(v) => out.push_bind_param::<Array<Bool>, _>(v)?,
                Column::BigInt(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
            }
        }
        out.push_sql(")");
        Ok(())
    }
}

/// Rows per statement of [`insert_sqlite`]: one shape, prepared once.
pub(crate) const SQLITE_ROWS: usize = 32;

/// SQLite: `rows` inserted [`SQLITE_ROWS`] at a time by one multi-row
/// `VALUES` statement of a fixed shape, the rest one row at a time.
pub(crate) fn insert_sqlite<'a, R: Columns<'a>>(
    conn: &mut SqliteConnection,
    rows: &'a [R],
) -> QueryResult<usize> {
    let mut count = 0;
    let mut chunks = rows.chunks_exact(SQLITE_ROWS);
    for chunk in &mut chunks {
        count += Values {
            into: R::INTO,
            rows: chunk.len(),
            columns: R::columns(chunk),
        }
        .execute(conn)?;
    }
    for row in chunks.remainder() {
        count += Values {
            into: R::INTO,
            rows: 1,
            columns: R::columns(std::slice::from_ref(row)),
        }
        .execute(conn)?;
    }
    Ok(count)
}

struct Values<'a> {
    into: &'static str,
    rows: usize,
    columns: Vec<Column<'a>>,
}

impl QueryId for Values<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> RunQueryDsl<Conn> for Values<'_> {}

impl QueryFragment<Sqlite> for Values<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_sql(self.into);
        out.push_sql(" VALUES ");
        for row in 0..self.rows {
            out.push_sql(if row == 0 { "(" } else { ", (" });
            for (i, column) in self.columns.iter().enumerate() {
                if i > 0 {
                    out.push_sql(", ");
                }
                match column {
                    Column::Binary(v) => out.push_bind_param::<Binary, _>(&v[row])?,
                    Column::NullableBinary(v) => {
                        out.push_bind_param::<Nullable<Binary>, _>(&v[row])?
                    }
                    Column::Text(v) => out.push_bind_param::<Text, _>(&v[row])?,
                    Column::NullableText(v) => out.push_bind_param::<Nullable<Text>, _>(&v[row])?,
                    Column::Bool(v) => out.push_bind_param::<Bool, _>(&v[row])?,
                    Column::BigInt(v) => out.push_bind_param::<BigInt, _>(&v[row])?,
                }
            }
            out.push_sql(")");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use diesel::debug_query;

    use super::*;

    struct Row<'a> {
        hash: &'a [u8],
        rule: Option<&'a str>,
    }

    impl<'a> Columns<'a> for Row<'a> {
        const INTO: &'static str = "bindings (hash, rule)";
        fn columns(rows: &'a [Self]) -> Vec<Column<'a>> {
            vec![
                Column::Binary(rows.iter().map(|r| r.hash).collect()),
                Column::NullableText(rows.iter().map(|r| r.rule).collect()),
            ]
        }
    }

    fn sql(rows: &[Row<'_>]) -> String {
        let insert = Insert {
            into: Row::INTO,
            columns: Row::columns(rows),
        };
        let sql = debug_query::<Pg, _>(&insert).to_string();
        sql.split(" -- binds:")
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn sqlite_chunks_have_one_shape() {
        let rows: Vec<Row<'_>> = (0..SQLITE_ROWS)
            .map(|i| Row {
                hash: if i % 2 == 0 { b"a" } else { b"b" },
                rule: None,
            })
            .collect();
        let values = |rows: &[Row<'_>]| {
            let insert = Values {
                into: Row::INTO,
                rows: rows.len(),
                columns: Row::columns(rows),
            };
            let sql = debug_query::<Sqlite, _>(&insert).to_string();
            sql.split(" -- binds:")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let full = values(&rows);
        assert!(full.starts_with("INSERT INTO bindings (hash, rule) VALUES (?, ?), (?, ?)"));
        assert_eq!(full.matches('?').count(), 2 * SQLITE_ROWS);
        let mut other = rows;
        other[0].rule = Some("F_L_D_S");
        assert_eq!(values(&other), full);
    }

    #[test]
    fn one_shape_whatever_the_row_count() {
        let one = [Row {
            hash: b"a",
            rule: None,
        }];
        let three = [
            Row {
                hash: b"a",
                rule: Some("F_L_D_S"),
            },
            Row {
                hash: b"b",
                rule: None,
            },
            Row {
                hash: b"c",
                rule: Some("F_L_D_Z"),
            },
        ];
        assert_eq!(
            sql(&one),
            "INSERT INTO bindings (hash, rule) SELECT * FROM UNNEST($1, $2)"
        );
        assert_eq!(sql(&one), sql(&three));
    }
}
