//! Remembered approvals: the consent page is skipped when the user already
//! approved this client for this exact scope set. Withdrawing an approval
//! deletes it and revokes the refresh-token families of that user and
//! client whose scopes lie within the approved set, together with the
//! access tokens (`jti`s) issued in them.

use idmap_storage::{Database, DbConnection, StorageError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::consents::{self as db_consents, ConsentRow};
use crate::db::{refresh_tokens, revoked_tokens};
use crate::domain::scopes::{Scope, ScopeSet};
use idmap_common::clock::now_unix;

/// One approval as listed to its user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub created_at: i64,
    /// Refresh-token families still live under this approval.
    pub live_tokens: usize,
    /// When the application last obtained tokens under it (unix seconds).
    pub last_used_at: Option<i64>,
}

/// Whether the user already approved exactly these scopes for the client.
pub async fn is_remembered(
    db: &Database,
    user_id: &str,
    client_id: &str,
    scopes: &ScopeSet,
) -> Result<bool, StorageError> {
    let (u, c, s) = (user_id.to_owned(), client_id.to_owned(), scopes.to_string());
    db.run(move |conn| Ok(db_consents::exists(conn, &u, &c, &s)?))
        .await
}

/// Remembers an approval.
pub async fn remember(
    db: &Database,
    user_id: &str,
    client_id: &str,
    scopes: &ScopeSet,
) -> Result<(), StorageError> {
    let row = ConsentRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_owned(),
        client_id: client_id.to_owned(),
        scopes: scopes.to_string(),
        created_at: now_unix(),
        last_used_at: None,
    };
    db.transaction(move |c| Ok(db_consents::insert_if_absent(c, &row)?))
        .await
}

fn within(inner: &str, outer: &str) -> bool {
    let outer: Vec<&str> = outer.split(' ').collect();
    inner
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|s| outer.contains(&s))
}

/// The user's approvals, newest first.
pub async fn list(db: &Database, user_id: &str) -> Result<Vec<ConsentView>, StorageError> {
    let uid = user_id.to_owned();
    db.run(move |c| {
        let now = now_unix();
        db_consents::list_for_user(c, &uid)?
            .into_iter()
            .map(|(row, name)| view(c, row, name, now))
            .collect()
    })
    .await
}

/// One approval of the user (`None` for another user's or an unknown id).
pub async fn get(
    db: &Database,
    user_id: &str,
    consent_id: &str,
) -> Result<Option<ConsentView>, StorageError> {
    let (uid, id) = (user_id.to_owned(), consent_id.to_owned());
    db.run(move |c| {
        let Some((row, name)) = db_consents::find_named_for_user(c, &uid, &id)? else {
            return Ok(None);
        };
        view(c, row, name, now_unix()).map(Some)
    })
    .await
}

fn view(
    c: &mut DbConnection,
    row: ConsentRow,
    name: Option<String>,
    now: i64,
) -> Result<ConsentView, StorageError> {
    let live = refresh_tokens::live_families(c, &row.user_id, &row.client_id, now)?
        .iter()
        .filter(|(_, scopes)| within(scopes, &row.scopes))
        .count();
    Ok(ConsentView {
        id: row.id,
        client_name: name.unwrap_or_else(|| row.client_id.clone()),
        client_id: row.client_id,
        scope: row.scopes,
        created_at: row.created_at,
        live_tokens: live,
        last_used_at: row.last_used_at,
    })
}

/// Withdraws one approval of the user and revokes what was issued under
/// it; `false` if the user has no such approval.
pub async fn revoke(db: &Database, user_id: &str, consent_id: &str) -> Result<bool, StorageError> {
    let (uid, id) = (user_id.to_owned(), consent_id.to_owned());
    db.transaction(move |c| {
        let Some(row) = db_consents::find_for_user(c, &uid, &id)? else {
            return Ok(false);
        };
        let now = now_unix();
        for (family, scopes) in refresh_tokens::live_families(c, &uid, &row.client_id, now)? {
            if within(&scopes, &row.scopes) {
                for (jti, exp) in refresh_tokens::revoke_family(c, &family, now)? {
                    revoked_tokens::revoke(c, &jti, exp, now)?;
                }
            }
        }
        db_consents::delete(c, &row.id)?;
        Ok(true)
    })
    .await
}

/// The scopes of a stored scope string, for the page (unknown names skipped).
pub fn scope_lines(scope: &str) -> Vec<(&'static str, &'static str)> {
    scope
        .split(' ')
        .filter_map(|s| Scope::parse(s).ok())
        .map(|s| (s.as_str(), s.description()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_within() {
        assert!(within("profile", "profile idmap:read"));
        assert!(!within("admin profile", "profile"));
        assert!(within("", "profile"));
    }
}
