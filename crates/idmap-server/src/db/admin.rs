//! The admin actions that write (resolve a conflict, register a rule), each
//! in one transaction with its audit entry, and the admin reads.

use idmap_storage::{Database, StorageError};

use super::audit::{self, Actor, Entry};
use super::conflicts::{self, ConflictView};
use super::patterns;
use super::rules::{self, Rule};
use super::same_partner::{self, AmbiguousView};
use super::stats::{self, Stats};
use crate::domain::evidence::{self, Estimate};
use crate::domain::linkage::LinkCounts;
use idmap_common::clock::now_unix;

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
        let at = now_unix();
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

/// Registers `rule`, audited; `false` when it exists already.
pub async fn register_rule(db: &Database, rule: Rule, actor: Actor) -> Result<bool, StorageError> {
    db.transaction(move |c| {
        let at = now_unix();
        if !rules::register(c, &rule, at)? {
            return Ok(false);
        }
        let entry = audit::NewEntry {
            action: "register_rule",
            partner: None,
            actor: &actor,
            counts: LinkCounts::default(),
            detail: Some(format!("registered rule {}", rule.code)),
        };
        audit::append(c, &entry, at)?;
        Ok(true)
    })
    .await
}

/// Changes a rule's priority and weights, audited; `None` when the rule
/// does not exist.
pub async fn update_rule(
    db: &Database,
    code: String,
    priority: Option<i32>,
    weights: Option<(f64, f64)>,
    actor: Actor,
) -> Result<Option<Rule>, StorageError> {
    db.transaction(move |c| {
        if !rules::update(c, &code, priority, weights)? {
            return Ok(None);
        }
        let at = now_unix();
        let entry = audit::NewEntry {
            action: "update_rule",
            partner: None,
            actor: &actor,
            counts: LinkCounts::default(),
            detail: Some(format!("updated rule {code}")),
        };
        audit::append(c, &entry, at)?;
        rules::by_code(c, &code)
    })
    .await
}

/// The EM estimate of every rule compared at least `min_comparisons`
/// times; with `apply`, those with m above u (evidence for a match) are
/// stored as the rules' m and u (audited).
pub async fn estimate_rules(
    db: &Database,
    min_comparisons: u64,
    apply: bool,
    actor: Actor,
) -> Result<Vec<Estimate>, StorageError> {
    db.transaction(move |c| {
        let seen: Vec<(Vec<(String, bool)>, u64)> = patterns::load_all(c)?
            .into_iter()
            .filter_map(|(p, n)| Some((evidence::parse_pattern(&p)?, u64::try_from(n).ok()?)))
            .collect();
        let estimates = evidence::estimate(&seen, min_comparisons);
        if apply {
            let mut applied = 0;
            for e in &estimates {
                if let (Some(m), Some(u)) = (e.m, e.u)
                    && m > u
                    && rules::update(c, &e.code, None, Some((m, u)))?
                {
                    applied += 1;
                }
            }
            let entry = audit::NewEntry {
                action: "estimate_rules",
                partner: None,
                actor: &actor,
                counts: LinkCounts::default(),
                detail: Some(format!("applied estimated weights to {applied} rule(s)")),
            };
            audit::append(c, &entry, now_unix())?;
        }
        Ok(estimates)
    })
    .await
}

/// Every registered rule.
pub async fn rules(db: &Database) -> Result<Vec<Rule>, StorageError> {
    db.run(rules::load_all).await
}

/// Ambiguous hashes after id `after`, oldest first, optionally of one
/// causing partner.
pub async fn ambiguous_page(
    db: &Database,
    partner: Option<String>,
    after: i64,
    limit: i64,
) -> Result<Vec<AmbiguousView>, StorageError> {
    db.run(move |c| same_partner::ambiguous_page(c, partner.as_deref(), after, limit))
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
