//! The `entitlements` table: a scope an operator granted to one user or to
//! one group (exactly one of the two), which user-facing grants may then
//! carry for that user or the group's members.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::{entitlements as ent, group_members as gm};

/// One entitlement.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ent)]
pub struct EntitlementRow {
    pub id: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub scope: String,
    pub created_at: i64,
}

/// Stores an entitlement; a second one of the same holder and scope is a
/// unique violation.
pub fn insert(conn: &mut DbConnection, row: &EntitlementRow) -> QueryResult<()> {
    diesel::insert_into(ent::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The entitlement of this user or group to `scope`, if any.
pub fn find_for(
    conn: &mut DbConnection,
    user_id: Option<&str>,
    group_id: Option<&str>,
    scope: &str,
) -> QueryResult<Option<EntitlementRow>> {
    let mut query = ent::table.filter(ent::scope.eq(scope)).into_boxed();
    query = match (user_id, group_id) {
        (Some(u), _) => query.filter(ent::user_id.eq(u)),
        (None, Some(g)) => query.filter(ent::group_id.eq(g)),
        (None, None) => return Ok(None),
    };
    query
        .select(EntitlementRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes one entitlement; whether it existed.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::delete(ent::table.filter(ent::id.eq(id)))
        .execute(conn)
        .map(|n| n > 0)
}

/// Every entitlement, oldest first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<EntitlementRow>> {
    ent::table
        .order((ent::created_at.asc(), ent::id.asc()))
        .select(EntitlementRow::as_select())
        .load(conn)
}

/// The scopes a user holds, directly or through the groups the user
/// belongs to (possibly with repeats).
pub fn scopes_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<String>> {
    let groups: Vec<String> = gm::table
        .filter(gm::user_id.eq(user_id))
        .select(gm::group_id)
        .load(conn)?;
    let mut scopes: Vec<String> = ent::table
        .filter(ent::user_id.eq(user_id))
        .select(ent::scope)
        .load(conn)?;
    if !groups.is_empty() {
        scopes.extend(
            ent::table
                .filter(ent::group_id.eq_any(&groups))
                .select(ent::scope)
                .load::<String>(conn)?,
        );
    }
    Ok(scopes)
}
