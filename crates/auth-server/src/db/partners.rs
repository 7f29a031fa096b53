//! The `partners` table: hospitals whose clients carry a `partner` claim.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::partners;

/// One stored partner.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = partners)]
pub struct PartnerRow {
    pub code: String,
    pub name: String,
    pub created_at: i64,
}

/// Inserts a partner; a duplicate code is a unique violation.
pub fn insert(conn: &mut DbConnection, row: &PartnerRow) -> QueryResult<()> {
    diesel::insert_into(partners::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Whether a partner with this code is registered.
pub fn exists(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    partners::table
        .filter(partners::code.eq(code))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// The name of the partner with this code.
pub fn name_of(conn: &mut DbConnection, code: &str) -> QueryResult<Option<String>> {
    partners::table
        .filter(partners::code.eq(code))
        .select(partners::name)
        .get_result(conn)
        .optional()
}

/// Every partner, by code.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<PartnerRow>> {
    partners::table
        .order(partners::code.asc())
        .select(PartnerRow::as_select())
        .load(conn)
}
