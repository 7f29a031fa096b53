//! The `revoked_tokens` table: access-token `jti`s revoked before expiry,
//! kept until the token would have expired anyway, then purged.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::credentials_written;
use super::schema::revoked_tokens as rv;

/// Records a revoked `jti` (idempotent) and purges entries past expiry.
pub fn revoke(conn: &mut DbConnection, jti: &str, expires_at: i64, now: i64) -> QueryResult<()> {
    credentials_written();
    diesel::delete(rv::table.filter(rv::expires_at.lt(now))).execute(conn)?;
    let exists = rv::table
        .filter(rv::jti.eq(jti))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        diesel::insert_into(rv::table)
            .values((rv::jti.eq(jti), rv::expires_at.eq(expires_at)))
            .execute(conn)?;
    }
    Ok(())
}
