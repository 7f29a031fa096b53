//! The `authorization_codes` table. Codes are stored as SHA-256; the
//! redemption is a compare-and-swap on `used_at`, so of two concurrent
//! redemptions exactly one wins.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::authorization_codes as codes;

/// One stored code.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = codes)]
pub struct CodeRow {
    pub code_hash: Vec<u8>,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub resource: Option<String>,
    pub code_challenge: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
    pub access_jti: Option<String>,
    pub access_expires_at: Option<i64>,
    /// Whether the authorization request named `redirect_uri`.
    pub redirect_uri_given: bool,
}

/// Stores a new code and drops codes that expired long ago.
pub fn insert(conn: &mut DbConnection, row: &CodeRow) -> QueryResult<()> {
    // Expired codes are kept for a day so a late replay still revokes.
    diesel::delete(codes::table.filter(codes::expires_at.lt(row.created_at - 86_400)))
        .execute(conn)?;
    diesel::insert_into(codes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The code with this hash, used or not.
pub fn find(conn: &mut DbConnection, hash: &[u8]) -> QueryResult<Option<CodeRow>> {
    codes::table
        .filter(codes::code_hash.eq(hash))
        .select(CodeRow::as_select())
        .get_result(conn)
        .optional()
}

/// Marks the code used if nobody has; `true` for the one caller that did.
pub fn mark_used(conn: &mut DbConnection, hash: &[u8], now: i64) -> QueryResult<bool> {
    diesel::update(
        codes::table
            .filter(codes::code_hash.eq(hash))
            .filter(codes::used_at.is_null()),
    )
    .set(codes::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records what the redemption issued, for revocation on replay.
pub fn record_issued(
    conn: &mut DbConnection,
    hash: &[u8],
    family_id: Option<&str>,
    access_jti: &str,
    access_expires_at: i64,
) -> QueryResult<()> {
    diesel::update(codes::table.filter(codes::code_hash.eq(hash)))
        .set((
            codes::family_id.eq(family_id),
            codes::access_jti.eq(access_jti),
            codes::access_expires_at.eq(access_expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}
