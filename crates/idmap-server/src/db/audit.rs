//! The `audit_log` table: one row per link request (counts only, never
//! hashes or refs) and per admin action, written in the same transaction as
//! the change it describes, so the log and the data never disagree. The
//! service only ever inserts; PostgreSQL and SQLite refuse updates and
//! deletes with a trigger.

use diesel::prelude::*;
use idmap_storage::{DbConnection, StorageError};
use serde::Serialize;

use super::insert_rows;
use super::schema::audit_log;
use crate::domain::linkage::LinkCounts;

/// Who caused a change: the OAuth client and the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub client_id: String,
    pub request_id: String,
}

/// A row to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// `link`, `save`, `merge`, `resolve_conflict`, `register_rule`, `import_legacy`.
    pub action: &'a str,
    pub partner: Option<&'a str>,
    pub actor: &'a Actor,
    pub counts: LinkCounts,
    /// For admin actions: what was done (UUIDs, ids, codes; never hashes).
    pub detail: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct Row<'a> {
    at: i64,
    action: &'a str,
    partner: Option<&'a str>,
    client_id: &'a str,
    request_id: &'a str,
    patients: i64,
    new_uuids: i64,
    matched: i64,
    conflicts: i64,
    ambiguous: i64,
    detail: Option<&'a str>,
}

/// One stored entry as admins read it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub partner: Option<String>,
    pub client_id: String,
    pub request_id: String,
    pub patients: i64,
    pub new_uuids: i64,
    pub matched: i64,
    pub conflicts: i64,
    pub ambiguous: i64,
    pub detail: Option<String>,
}

/// Appends one entry.
pub fn append(conn: &mut DbConnection, e: &NewEntry<'_>, now: i64) -> Result<(), StorageError> {
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    let row = Row {
        at: now,
        action: e.action,
        partner: e.partner,
        client_id: &e.actor.client_id,
        request_id: &e.actor.request_id,
        patients: n(e.counts.patients),
        new_uuids: n(e.counts.new_uuids),
        matched: n(e.counts.matched),
        conflicts: n(e.counts.conflicts),
        ambiguous: n(e.counts.ambiguous),
        detail: e.detail.as_deref(),
    };
    insert_rows::<_, Row<'_>>(conn, audit_log::table, std::slice::from_ref(&row))?;
    Ok(())
}

/// Entries with an id above `after`, oldest first, at most `limit`.
pub fn page(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<Entry>, StorageError> {
    Ok(audit_log::table
        .filter(audit_log::id.gt(after))
        .order(audit_log::id.asc())
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::action,
            audit_log::partner,
            audit_log::client_id,
            audit_log::request_id,
            audit_log::patients,
            audit_log::new_uuids,
            audit_log::matched,
            audit_log::conflicts,
            audit_log::ambiguous,
            audit_log::detail,
        ))
        .load(conn)?)
}

/// Number of entries, optionally of one action.
pub fn count(conn: &mut DbConnection, action: Option<&str>) -> Result<i64, StorageError> {
    Ok(match action {
        Some(a) => audit_log::table
            .filter(audit_log::action.eq(a))
            .count()
            .get_result(conn)?,
        None => audit_log::table.count().get_result(conn)?,
    })
}
