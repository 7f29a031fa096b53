//! The `consents` table: what a user approved for a client (one row per
//! user, client and scope set), so the consent page is skipped next time
//! and the user can list and withdraw approvals.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::{clients, consents};

/// One remembered approval.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub created_at: i64,
    /// When tokens were last obtained under it (`None`: not since approval).
    pub last_used_at: Option<i64>,
}

/// Whether this exact approval exists.
pub fn exists(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    scopes: &str,
) -> QueryResult<bool> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::client_id.eq(client_id))
        .filter(consents::scopes.eq(scopes))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// Remembers an approval (a second identical approval changes nothing).
pub fn insert_if_absent(conn: &mut DbConnection, row: &ConsentRow) -> QueryResult<()> {
    if exists(conn, &row.user_id, &row.client_id, &row.scopes)? {
        return Ok(());
    }
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Records that the user's approvals of the client just obtained tokens:
/// one indexed update in the transaction that stores them.
pub fn touch(conn: &mut DbConnection, user_id: &str, client_id: &str, now: i64) -> QueryResult<()> {
    diesel::update(
        consents::table
            .filter(consents::user_id.eq(user_id))
            .filter(consents::client_id.eq(client_id)),
    )
    .set(consents::last_used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

/// The user's approvals with the client's name, newest first.
pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: &str,
) -> QueryResult<Vec<(ConsentRow, Option<String>)>> {
    consents::table
        .inner_join(clients::table.on(clients::client_id.eq(consents::client_id)))
        .filter(consents::user_id.eq(user_id))
        .order((consents::created_at.desc(), consents::id.asc()))
        .select((ConsentRow::as_select(), clients::name))
        .load(conn)
}

/// One approval of the user.
pub fn find_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> QueryResult<Option<ConsentRow>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::id.eq(id))
        .select(ConsentRow::as_select())
        .get_result(conn)
        .optional()
}

/// One approval of the user with the client's name.
pub fn find_named_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> QueryResult<Option<(ConsentRow, Option<String>)>> {
    consents::table
        .inner_join(clients::table.on(clients::client_id.eq(consents::client_id)))
        .filter(consents::user_id.eq(user_id))
        .filter(consents::id.eq(id))
        .select((ConsentRow::as_select(), clients::name))
        .get_result(conn)
        .optional()
}

/// Deletes one approval.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(consents::table.filter(consents::id.eq(id)))
        .execute(conn)
        .map(|_| ())
}
