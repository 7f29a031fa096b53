//! Reading the older system's MySQL table in batches, by key order of the
//! hash, so a run over millions of rows needs little memory and no long
//! transaction on the source. Column names are options; the partner and
//! time columns are found in `information_schema` when not given.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Nullable, Text};

/// Where the older data is and how its table is spelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTable {
    pub table: String,
    pub hash_column: String,
    pub uuid_column: String,
    /// `None`: the table has no partner column; `--partner` supplies it.
    pub partner_column: Option<String>,
    /// `None`: no time column; rows get the import time.
    pub added_at_column: Option<(String, TimeKind)>,
}

/// How the time column stores a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// `DATETIME`, `TIMESTAMP` or `DATE`.
    Date,
    /// An integer of unix seconds.
    Seconds,
}

/// One row of the older table, as read.
#[derive(Debug, Clone, QueryableByName)]
pub struct LegacyRow {
    #[diesel(sql_type = Binary)]
    pub h: Vec<u8>,
    #[diesel(sql_type = Binary)]
    pub u: Vec<u8>,
    #[diesel(sql_type = Nullable<Text>)]
    pub p: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub t: Option<i64>,
}

/// Partner column names tried, in order, when none is given.
pub const PARTNER_COLUMNS: [&str; 3] = ["linkage_partner", "partner_code", "partner"];
/// Time column looked for when none is given.
pub const ADDED_AT_COLUMN: &str = "linkage_added_at";

/// Letters, digits and `_` only: names are spliced into SQL.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[derive(QueryableByName)]
struct ColumnInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

/// Columns of `table` in the current database with their data types.
pub fn columns(conn: &mut MysqlConnection, table: &str) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<ColumnInfo> = diesel::sql_query(
        "SELECT CAST(column_name AS CHAR) AS name, CAST(data_type AS CHAR) AS kind \
         FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
    )
    .bind::<Text, _>(table)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|c| (c.name, c.kind.to_ascii_lowercase()))
        .collect())
}

/// The time column's kind from its data type; `None` for types not understood.
pub fn time_kind(data_type: &str) -> Option<TimeKind> {
    match data_type {
        "datetime" | "timestamp" | "date" => Some(TimeKind::Date),
        "int" | "bigint" | "integer" | "mediumint" => Some(TimeKind::Seconds),
        _ => None,
    }
}

/// Up to `limit` rows with a hash above `after` (all rows when `None`).
pub fn batch(
    conn: &mut MysqlConnection,
    src: &SourceTable,
    after: Option<&[u8]>,
    limit: usize,
) -> QueryResult<Vec<LegacyRow>> {
    let partner = src
        .partner_column
        .as_ref()
        .map_or("CAST(NULL AS CHAR)".to_owned(), |c| {
            format!("CAST(`{c}` AS CHAR)")
        });
    let added = match &src.added_at_column {
        Some((c, TimeKind::Date)) => format!("CAST(UNIX_TIMESTAMP(`{c}`) AS SIGNED)"),
        Some((c, TimeKind::Seconds)) => format!("CAST(`{c}` AS SIGNED)"),
        None => "CAST(NULL AS SIGNED)".to_owned(),
    };
    let sql = format!(
        "SELECT `{h}` AS h, `{u}` AS u, {partner} AS p, {added} AS t FROM `{table}` \
         WHERE `{h}` > ? ORDER BY `{h}` LIMIT {limit}",
        h = src.hash_column,
        u = src.uuid_column,
        table = src.table,
    );
    diesel::sql_query(sql)
        .bind::<Binary, _>(after.unwrap_or(&[]))
        .load(conn)
}
