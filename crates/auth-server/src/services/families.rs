//! Refresh-token families in storage: starting one, rotating a token
//! (one compare-and-swap, inside the transaction that stores its
//! successor), and revoking a family, or every family of a user, together
//! with the access tokens it issued that may still be live. A family ends
//! at a fixed time set when it starts: rotation renews a token's own
//! lifetime but never moves the family's end, so a stolen refresh token
//! cannot be kept alive forever by using it.

use idmap_storage::{Database, DbConnection, StorageError};

use crate::db::refresh_tokens::{self as db_refresh, RefreshRow};
use crate::db::{auth_codes, consents, revoked_tokens};
use crate::domain::opaque::OpaqueToken;
use idmap_common::clock::now_unix;

use super::issuer::IssuedToken;

/// Who a refresh token is for and what it may be exchanged for.
#[derive(Debug, Clone)]
pub struct FamilyGrant {
    pub client_id: String,
    pub user_id: Option<String>,
    /// Full scopes of the grant (a refresh may narrow them per token).
    pub scopes: String,
    pub resource: Option<String>,
}

/// The row for a new refresh token of `family_id` issued with `access`:
/// it lives `ttl` seconds, but not past `family_expires_at`.
pub fn new_row(
    token: &OpaqueToken,
    family_id: &str,
    grant: &FamilyGrant,
    access: &IssuedToken,
    ttl: i64,
    family_expires_at: i64,
) -> RefreshRow {
    let now = now_unix();
    RefreshRow {
        token_hash: token.hash(),
        family_id: family_id.to_owned(),
        client_id: grant.client_id.clone(),
        user_id: grant.user_id.clone(),
        scopes: grant.scopes.clone(),
        resource: grant.resource.clone(),
        created_at: now,
        expires_at: now.saturating_add(ttl).min(family_expires_at),
        used_at: None,
        revoked: false,
        access_jti: access.jti.clone(),
        access_expires_at: access.expires_at,
        family_expires_at,
    }
}

/// Stores the first token of a new family, and drops tokens that expired
/// more than a day ago (kept that long so a late replay still revokes).
pub async fn start(db: &Database, row: RefreshRow) -> Result<(), StorageError> {
    db.transaction(move |c| {
        db_refresh::purge_expired(c, row.created_at - 86_400)?;
        Ok(db_refresh::insert(c, &row)?)
    })
    .await
}

/// Rotation: marks `old_hash` used and stores `next` in one transaction.
/// `Ok(false)` when another presentation won the race (or the token was
/// spent meanwhile); nothing is stored then.
pub async fn rotate(
    db: &Database,
    old_hash: Vec<u8>,
    next: RefreshRow,
) -> Result<bool, StorageError> {
    db.transaction(move |c| {
        if !db_refresh::mark_used(c, &old_hash, now_unix())? {
            return Ok(false);
        }
        store(c, &next)?;
        Ok(true)
    })
    .await
}

/// Stores an issued refresh token and records the use of the user's
/// approval it was issued under (shown as "last used" to the user).
fn store(c: &mut DbConnection, row: &RefreshRow) -> Result<(), StorageError> {
    db_refresh::insert(c, row)?;
    if let Some(user) = &row.user_id {
        consents::touch(c, user, &row.client_id, row.created_at)?;
    }
    Ok(())
}

/// Revokes a family and the live access tokens issued in it.
pub async fn revoke(db: &Database, family_id: String) -> Result<(), StorageError> {
    db.transaction(move |c| {
        let now = now_unix();
        for (jti, exp) in db_refresh::revoke_family(c, &family_id, now)? {
            revoked_tokens::revoke(c, &jti, exp, now)?;
        }
        Ok(())
    })
    .await
}

/// Revokes every refresh-token family of a user and the live access
/// tokens issued in them (password reset, disabling the user); runs in the
/// caller's transaction.
pub fn revoke_every_family_of(
    conn: &mut DbConnection,
    user_id: &str,
    now: i64,
) -> Result<(), StorageError> {
    for (jti, exp) in db_refresh::revoke_user(conn, user_id, now)? {
        revoked_tokens::revoke(conn, &jti, exp, now)?;
    }
    Ok(())
}

/// A replayed authorization code: revokes what its redemption issued.
pub async fn revoke_code_issue(
    db: &Database,
    family_id: Option<String>,
    access: Option<(String, i64)>,
) -> Result<(), StorageError> {
    if let Some(family) = family_id {
        revoke(db, family).await?;
    }
    if let Some((jti, exp)) = access {
        db.transaction(move |c| Ok(revoked_tokens::revoke(c, &jti, exp, now_unix())?))
            .await?;
    }
    Ok(())
}

/// Marks a code used and records what it issued, in one transaction.
/// `Ok(false)` when the code had already been redeemed.
pub async fn redeem_code(
    db: &Database,
    code_hash: Vec<u8>,
    refresh: RefreshRow,
) -> Result<bool, StorageError> {
    db.transaction(move |c| {
        if !auth_codes::mark_used(c, &code_hash, now_unix())? {
            return Ok(false);
        }
        db_refresh::purge_expired(c, refresh.created_at - 86_400)?;
        store(c, &refresh)?;
        auth_codes::record_issued(
            c,
            &code_hash,
            Some(&refresh.family_id),
            &refresh.access_jti,
            refresh.access_expires_at,
        )?;
        Ok(true)
    })
    .await
}
