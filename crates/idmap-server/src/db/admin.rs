//! The admin actions that write (resolve a conflict, register a rule), each
//! in one transaction with its audit entry, and the admin reads.

use idmap_storage::{Database, StorageError};

use super::audit::{self, Actor, Entry};
use super::conflicts::{self, ConflictView};
use super::stats::{self, Stats};
use super::{now, rules};
use crate::domain::linkage::LinkCounts;

/// Result of resolving a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolve {
    Resolved(ConflictView),
    NotFound,
    /// It was resolved before; nothing changed.
    AlreadyResolved(ConflictView),
}

/// Marks conflict `id` resolved (with an optional note), audited.
pub async fn resolve_conflict(
    db: &Database,
    id: i64,
    note: Option<String>,
    actor: Actor,
) -> Result<Resolve, StorageError> {
    db.transaction(move |c| {
        let at = now();
        if !conflicts::resolve(c, id, &actor.client_id, note.as_deref(), at)? {
            return Ok(match conflicts::by_id(c, id)? {
                Some(v) => Resolve::AlreadyResolved(v),
                None => Resolve::NotFound,
            });
        }
        let entry = audit::NewEntry {
            action: "resolve_conflict",
            partner: None,
            actor: &actor,
            counts: LinkCounts::default(),
            detail: Some(format!("resolved conflict {id}")),
        };
        audit::append(c, &entry, at)?;
        Ok(match conflicts::by_id(c, id)? {
            Some(v) => Resolve::Resolved(v),
            None => Resolve::NotFound,
        })
    })
    .await
}

/// Registers rule `code`, audited; `false` when it exists already.
pub async fn register_rule(
    db: &Database,
    code: String,
    description: String,
    actor: Actor,
) -> Result<bool, StorageError> {
    db.transaction(move |c| {
        let at = now();
        if !rules::register(c, &code, &description, at)? {
            return Ok(false);
        }
        let entry = audit::NewEntry {
            action: "register_rule",
            partner: None,
            actor: &actor,
            counts: LinkCounts::default(),
            detail: Some(format!("registered rule {code}")),
        };
        audit::append(c, &entry, at)?;
        Ok(true)
    })
    .await
}

/// Conflicts of `status` after id `after`, oldest first.
pub async fn conflicts_page(
    db: &Database,
    status: &'static str,
    after: i64,
    limit: i64,
) -> Result<Vec<ConflictView>, StorageError> {
    db.run(move |c| conflicts::page(c, status, after, limit))
        .await
}

/// Audit entries after id `after`, oldest first.
pub async fn audit_page(db: &Database, after: i64, limit: i64) -> Result<Vec<Entry>, StorageError> {
    db.run(move |c| audit::page(c, after, limit)).await
}

/// Totals and per-partner counts.
pub async fn stats(db: &Database) -> Result<Stats, StorageError> {
    db.run(stats::load).await
}
