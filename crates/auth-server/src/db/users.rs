//! The `users` table: people who log in on the authorization pages.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::users;

/// One stored user; `password_hash` is an argon2id PHC string.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub email_verified: bool,
    pub created_at: i64,
    pub disabled: bool,
    /// Sessions carry the generation they started in; bumping it ends them all.
    pub session_generation: i64,
}

/// Inserts a user; a duplicate email is a unique violation.
pub fn insert(conn: &mut DbConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The user with this (normalized) email.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

/// The user with this id.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

/// The user with this id, or else with this (normalized) e-mail address.
pub fn find_by_id_or_email(conn: &mut DbConnection, key: &str) -> QueryResult<Option<UserRow>> {
    match find(conn, key)? {
        Some(u) => Ok(Some(u)),
        None => find_by_email(conn, key),
    }
}

/// Every user, oldest first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<UserRow>> {
    users::table
        .order((users::created_at.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .load(conn)
}

/// Sets the disabled flag; returns whether the user exists.
pub fn set_disabled(conn: &mut DbConnection, id: &str, disabled: bool) -> QueryResult<bool> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::disabled.eq(disabled))
        .execute(conn)
        .map(|n| n > 0)
}

/// Marks the address verified.
pub fn set_verified(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::email_verified.eq(true))
        .execute(conn)
        .map(|_| ())
}

/// Ends every session of the user (logout, password change).
pub fn bump_generation(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::session_generation.eq(users::session_generation + 1))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the password hash and ends every session.
pub fn set_password(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    bump_generation(conn, id)
}
