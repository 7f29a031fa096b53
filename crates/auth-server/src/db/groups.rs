//! The `user_groups` and `group_members` tables: a partner's staff form its
//! group, each member with a role (`member` or `partner_admin`), like the
//! older system's user-role table.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::{group_members as gm, user_groups as ug, users};

/// One group (one per partner).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ug)]
pub struct GroupRow {
    pub id: String,
    pub partner_code: String,
    pub name: String,
    pub created_at: i64,
}

/// One membership.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = gm)]
pub struct MemberRow {
    pub user_id: String,
    pub group_id: String,
    pub role: String,
    pub created_at: i64,
}

/// The group of a partner.
pub fn find_by_partner(conn: &mut DbConnection, partner: &str) -> QueryResult<Option<GroupRow>> {
    ug::table
        .filter(ug::partner_code.eq(partner))
        .select(GroupRow::as_select())
        .get_result(conn)
        .optional()
}

/// One group by id.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<GroupRow>> {
    ug::table
        .filter(ug::id.eq(id))
        .select(GroupRow::as_select())
        .get_result(conn)
        .optional()
}

/// Creates a group.
pub fn insert(conn: &mut DbConnection, row: &GroupRow) -> QueryResult<()> {
    diesel::insert_into(ug::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The group of a partner, created (named after the partner) on first use.
pub fn find_or_create(
    conn: &mut DbConnection,
    partner_code: &str,
    partner_name: &str,
    now: i64,
) -> QueryResult<GroupRow> {
    if let Some(g) = find_by_partner(conn, partner_code)? {
        return Ok(g);
    }
    let g = GroupRow {
        id: uuid::Uuid::new_v4().to_string(),
        partner_code: partner_code.to_owned(),
        name: partner_name.to_owned(),
        created_at: now,
    };
    insert(conn, &g)?;
    Ok(g)
}

/// Adds a member or changes their role (delete then insert: portable).
pub fn put_member(conn: &mut DbConnection, row: &MemberRow) -> QueryResult<()> {
    diesel::delete(
        gm::table
            .filter(gm::user_id.eq(&row.user_id))
            .filter(gm::group_id.eq(&row.group_id)),
    )
    .execute(conn)?;
    diesel::insert_into(gm::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The groups a user belongs to, with their role.
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<(GroupRow, String)>> {
    gm::table
        .inner_join(ug::table)
        .filter(gm::user_id.eq(user_id))
        .order(ug::partner_code.asc())
        .select((GroupRow::as_select(), gm::role))
        .load(conn)
}

/// The members of a group: (user id, email, role).
pub fn members(
    conn: &mut DbConnection,
    group_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    gm::table
        .inner_join(users::table)
        .filter(gm::group_id.eq(group_id))
        .order(users::email.asc())
        .select((gm::user_id, users::email, gm::role))
        .load(conn)
}
