//! The `refresh_tokens` table: one row per issued refresh token, grouped in
//! families (one family per authorization). Rotation is a compare-and-swap
//! on `used_at`; reuse revokes every row of the family.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::refresh_tokens as rt;

/// One stored refresh token (its SHA-256, never the token).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rt)]
pub struct RefreshRow {
    pub token_hash: Vec<u8>,
    pub family_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scopes: String,
    pub resource: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked: bool,
    pub access_jti: String,
    pub access_expires_at: i64,
    /// The family's end, fixed when it started and copied on rotation.
    pub family_expires_at: i64,
}

/// Stores a new refresh token.
pub fn insert(conn: &mut DbConnection, row: &RefreshRow) -> QueryResult<()> {
    diesel::insert_into(rt::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The token with this hash.
pub fn find(conn: &mut DbConnection, hash: &[u8]) -> QueryResult<Option<RefreshRow>> {
    rt::table
        .filter(rt::token_hash.eq(hash))
        .select(RefreshRow::as_select())
        .get_result(conn)
        .optional()
}

/// The compare-and-swap of rotation: marks the token used only if it is
/// still unused and unrevoked. `true` for exactly one caller.
pub fn mark_used(conn: &mut DbConnection, hash: &[u8], now: i64) -> QueryResult<bool> {
    diesel::update(
        rt::table
            .filter(rt::token_hash.eq(hash))
            .filter(rt::used_at.is_null())
            .filter(rt::revoked.eq(false)),
    )
    .set(rt::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Revokes every token of a family; returns the access-token ids issued
/// with them that may still be live at `now`, with their expiry.
pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    now: i64,
) -> QueryResult<Vec<(String, i64)>> {
    diesel::update(rt::table.filter(rt::family_id.eq(family_id)))
        .set(rt::revoked.eq(true))
        .execute(conn)?;
    rt::table
        .filter(rt::family_id.eq(family_id))
        .filter(rt::access_expires_at.gt(now))
        .select((rt::access_jti, rt::access_expires_at))
        .load(conn)
}

/// Revokes every token of a user; returns the access-token ids issued
/// with them that may still be live at `now`, with their expiry.
pub fn revoke_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: i64,
) -> QueryResult<Vec<(String, i64)>> {
    diesel::update(
        rt::table
            .filter(rt::user_id.eq(user_id))
            .filter(rt::revoked.eq(false)),
    )
    .set(rt::revoked.eq(true))
    .execute(conn)?;
    rt::table
        .filter(rt::user_id.eq(user_id))
        .filter(rt::access_expires_at.gt(now))
        .select((rt::access_jti, rt::access_expires_at))
        .load(conn)
}

/// Deletes tokens that expired before `before`.
pub fn purge_expired(conn: &mut DbConnection, before: i64) -> QueryResult<usize> {
    diesel::delete(rt::table.filter(rt::expires_at.lt(before))).execute(conn)
}

/// The families a user holds for a client, with their scopes (unrevoked
/// and unexpired at `now`).
pub fn live_families(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> QueryResult<Vec<(String, String)>> {
    rt::table
        .filter(rt::user_id.eq(user_id))
        .filter(rt::client_id.eq(client_id))
        .filter(rt::revoked.eq(false))
        .filter(rt::expires_at.gt(now))
        .select((rt::family_id, rt::scopes))
        .distinct()
        .load(conn)
}

/// Access-token ids issued to a client that may still be live at `now`.
pub fn live_access_of_client(
    conn: &mut DbConnection,
    client_id: &str,
    now: i64,
) -> QueryResult<Vec<(String, i64)>> {
    rt::table
        .filter(rt::client_id.eq(client_id))
        .filter(rt::access_expires_at.gt(now))
        .select((rt::access_jti, rt::access_expires_at))
        .load(conn)
}
