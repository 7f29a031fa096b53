//! The `email_tokens` table: the single-use links mailed for address
//! verification and password reset, stored as SHA-256. Redemption is a
//! compare-and-swap on `used_at`, so a link works once.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::email_tokens as et;

/// One stored link.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = et)]
pub struct EmailTokenRow {
    pub token_hash: Vec<u8>,
    pub user_id: String,
    pub purpose: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Stores a link and drops links that expired a day ago.
pub fn insert(conn: &mut DbConnection, row: &EmailTokenRow) -> QueryResult<()> {
    diesel::delete(et::table.filter(et::expires_at.lt(row.created_at - 86_400))).execute(conn)?;
    diesel::insert_into(et::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The unused, unexpired link with this hash and purpose.
pub fn find_live(
    conn: &mut DbConnection,
    hash: &[u8],
    purpose: &str,
    now: i64,
) -> QueryResult<Option<EmailTokenRow>> {
    et::table
        .filter(et::token_hash.eq(hash))
        .filter(et::purpose.eq(purpose))
        .filter(et::used_at.is_null())
        .filter(et::expires_at.gt(now))
        .select(EmailTokenRow::as_select())
        .get_result(conn)
        .optional()
}

/// Spends the link; `true` for the one caller that did.
pub fn mark_used(conn: &mut DbConnection, hash: &[u8], now: i64) -> QueryResult<bool> {
    diesel::update(
        et::table
            .filter(et::token_hash.eq(hash))
            .filter(et::used_at.is_null()),
    )
    .set(et::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Spends every open link of a user for `purpose` (a reset ends older resets).
pub fn spend_all(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: &str,
    now: i64,
) -> QueryResult<()> {
    diesel::update(
        et::table
            .filter(et::user_id.eq(user_id))
            .filter(et::purpose.eq(purpose))
            .filter(et::used_at.is_null()),
    )
    .set(et::used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}
