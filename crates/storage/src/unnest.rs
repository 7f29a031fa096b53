//! PostgreSQL's insert of many rows in one fixed shape:
//! `INSERT INTO t (a, b) SELECT * FROM UNNEST($1, $2)`, one array parameter
//! per column. diesel's multi-row `VALUES` statement has a shape (and
//! bind count) per row count and is never kept prepared, so PostgreSQL
//! parsed and planned the 1,200 parameters of a link request's `bindings`
//! insert afresh every time; this statement is prepared once per
//! connection whatever the row count.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Binary, Bool, Nullable, Text};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

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

/// Inserts `rows` in one statement of a fixed shape.
pub(crate) fn insert<'a, R: Columns<'a>>(
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
