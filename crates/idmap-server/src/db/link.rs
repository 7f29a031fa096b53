//! The linkage aggregate: loads everything one request touches with a few
//! set-based queries, runs the pure rules over it, and applies the plan with
//! batched inserts (`super::insert_columns`), all inside one transaction that
//! the storage layer re-runs from scratch if it loses a race. Also the
//! read-only lookup.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use idmap_common::ids::{PartnerCode, PatientRef, RuleCode};
use idmap_common::{LinkUuid, Sha256Hash};
use idmap_storage::{Database, DbConnection, StorageError};

use super::audit::{self, Actor};
use super::bindings::StoredBinding;
use super::{bindings, conflicts, patient_refs, patterns, same_partner, stored, uuids};
use crate::domain::linkage::{
    self, AmbiguityReason, Binding, Detail, LinkCounts, Patient, Plan, Settings, Snapshot,
};
use idmap_common::clock::now_unix;

/// Links `patients` for `partner` atomically; one UUID per patient, in
/// order, and the counts of the plan applied (for the metrics). A request
/// the registry holds in full is answered from a read (see
/// [`super::stored`]); any other runs the rules in one write transaction,
/// with the audit entry (`action` is `link` or `save`), so a retried or
/// killed request leaves both or neither.
pub async fn link(
    db: &Database,
    partner: PartnerCode,
    patients: Vec<Patient>,
    settings: Arc<Settings>,
    action: &'static str,
    actor: Actor,
) -> Result<(Vec<LinkUuid>, LinkCounts), StorageError> {
    let reader = partner.clone();
    let (answers, patients) = db
        .run(move |conn| Ok((stored::held(conn, reader.as_str(), &patients)?, patients)))
        .await?;
    if let Some(answers) = answers {
        let counts = LinkCounts {
            patients: answers.len(),
            matched: answers.len(),
            ..LinkCounts::default()
        };
        return Ok((answers, counts));
    }
    let patients = Arc::new(patients);
    db.transaction(move |conn| {
        let mut snapshot = load_snapshot(conn, partner.as_str(), &patients)?;
        let mut plan = linkage::plan(&patients, &snapshot, &settings, &mut LinkUuid::new_random);
        if plan.needs_detail {
            snapshot.detail = Some(load_detail(conn, partner.as_str(), &patients, &snapshot)?);
            plan = linkage::plan(&patients, &snapshot, &settings, &mut LinkUuid::new_random);
        }
        apply(conn, partner.as_str(), &plan)?;
        let entry = audit::NewEntry {
            action,
            partner: Some(partner.as_str()),
            actor: &actor,
            counts: plan.counts(),
            detail: ambiguity_note(&plan),
        };
        audit::append(conn, &entry, now_unix())?;
        Ok((plan.answers, entry.counts))
    })
    .await
}

/// The UUID each hash is bound to (merged UUIDs answer their survivor);
/// `None` for unknown hashes. Never writes.
pub async fn lookup(
    db: &Database,
    hashes: Vec<Sha256Hash>,
) -> Result<Vec<(Sha256Hash, Option<LinkUuid>)>, StorageError> {
    db.run(move |conn| {
        let mut distinct = hashes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let found = bindings::load(conn, &distinct)?;
        let ids: Vec<LinkUuid> = found.iter().map(|b| b.uuid).collect();
        let aliases = uuids::aliases(conn, &ids)?;
        let by_hash: HashMap<Sha256Hash, LinkUuid> = found
            .into_iter()
            .map(|b| (b.hash, *aliases.get(&b.uuid).unwrap_or(&b.uuid)))
            .collect();
        Ok(hashes
            .into_iter()
            .map(|h| (h, by_hash.get(&h).copied()))
            .collect())
    })
    .await
}

/// Bindings of every hash, the partner's refs of the request, and the refs
/// under which the partner holds each bound UUID; aliases resolved.
pub fn load_snapshot(
    conn: &mut DbConnection,
    partner: &str,
    patients: &[Patient],
) -> Result<Snapshot, StorageError> {
    let stored = bindings::load(conn, &linkage::request_hashes(patients))?;
    let known_refs = patient_refs::by_refs(conn, partner, &linkage::request_refs(patients))?;
    // UUIDs the partner may hold under a ref (rule 5): those bound to the
    // request's hashes and those of the request's known refs, which
    // earlier patients of this request may bind new hashes to.
    let mut probe: Vec<LinkUuid> = stored.iter().map(|b| b.uuid).collect();
    probe.extend(known_refs.iter().map(|(_, u)| *u));
    let (mut snapshot, aliases) = resolved(conn, stored, known_refs)?;
    if !probe.is_empty() {
        let resolve = |u: LinkUuid| *aliases.get(&u).unwrap_or(&u);
        // After merges a survivor is also held through the refs of the
        // UUIDs merged into it, whose rows keep their original UUID.
        let survivors: Vec<LinkUuid> = probe.iter().map(|u| resolve(*u)).collect();
        let members = uuids::members(conn, &survivors)?;
        probe.extend(survivors);
        probe.extend(members.iter().map(|(m, _)| *m));
        probe.sort_unstable();
        probe.dedup();
        let survivor_of: HashMap<LinkUuid, LinkUuid> = members.into_iter().collect();
        for (r, u) in patient_refs::holding(conn, partner, &probe)? {
            let s = survivor_of.get(&u).copied().unwrap_or_else(|| resolve(u));
            snapshot.held.entry(s).or_default().insert(r);
        }
    }
    Ok(snapshot)
}

/// The snapshot's bindings and refs from the rows read, each UUID resolved
/// to its survivor (merged UUIDs answer their survivor on every path), and
/// the aliases that resolved them.
pub(super) fn resolved(
    conn: &mut DbConnection,
    stored: Vec<StoredBinding>,
    known_refs: Vec<(PatientRef, LinkUuid)>,
) -> Result<(Snapshot, HashMap<LinkUuid, LinkUuid>), StorageError> {
    let mut raw: Vec<LinkUuid> = stored.iter().map(|b| b.uuid).collect();
    raw.extend(known_refs.iter().map(|(_, u)| *u));
    raw.sort_unstable();
    raw.dedup();
    let aliases = uuids::aliases(conn, &raw)?;
    let resolve = |u: LinkUuid| *aliases.get(&u).unwrap_or(&u);
    let mut snapshot = Snapshot::default();
    for b in stored {
        let binding = Binding {
            uuid: resolve(b.uuid),
            ambiguous: b.ambiguous,
        };
        snapshot.bindings.insert(b.hash, binding);
    }
    for (r, u) in known_refs {
        snapshot.refs.insert(r, resolve(u));
    }
    Ok((snapshot, aliases))
}

/// What the uncommon cases read (see [`Detail`]): refs declared distinct
/// among the request's refs, the refs recorded per bound hash, and the
/// rules under which every bound or referenced UUID has hashes.
pub fn load_detail(
    conn: &mut DbConnection,
    partner: &str,
    patients: &[Patient],
    snapshot: &Snapshot,
) -> Result<Detail, StorageError> {
    let refs = linkage::request_refs(patients);
    let distinct = if refs.is_empty() {
        HashSet::new()
    } else {
        same_partner::distinct_pairs(conn, partner, &refs)?
    };
    let mut bound: Vec<Sha256Hash> = snapshot.bindings.keys().copied().collect();
    bound.sort_unstable();
    let shared = same_partner::shared(conn, partner, &bound)?;

    let mut survivors: Vec<LinkUuid> = snapshot
        .bindings
        .values()
        .map(|b| b.uuid)
        .chain(snapshot.refs.values().copied())
        .collect();
    survivors.sort_unstable();
    survivors.dedup();
    let members = uuids::members(conn, &survivors)?;
    let survivor_of: HashMap<LinkUuid, LinkUuid> = members.iter().copied().collect();
    let mut ids = survivors;
    ids.extend(members.iter().map(|(m, _)| *m));
    let mut rules_of: HashMap<LinkUuid, HashSet<RuleCode>> = HashMap::new();
    for (u, rule) in bindings::rules_of(conn, &ids)? {
        if let Ok(rule) = RuleCode::parse(&rule) {
            let s = survivor_of.get(&u).copied().unwrap_or(u);
            rules_of.entry(s).or_default().insert(rule);
        }
    }
    Ok(Detail {
        distinct,
        shared,
        rules_of,
    })
}

/// The audit note of a request that made hashes ambiguous: how many, by
/// cause (the entry's partner is the one that caused it).
fn ambiguity_note(plan: &Plan) -> Option<String> {
    if plan.ambiguities.is_empty() {
        return None;
    }
    let parts: Vec<String> = [
        AmbiguityReason::Refs,
        AmbiguityReason::Distinct,
        AmbiguityReason::TooManyRefs,
    ]
    .iter()
    .filter_map(|reason| {
        let n = plan
            .ambiguities
            .iter()
            .filter(|a| a.reason == *reason)
            .count();
        (n > 0).then(|| format!("{} {n}", reason.as_str()))
    })
    .collect();
    Some(format!("made hashes ambiguous: {}", parts.join(", ")))
}

/// Writes a plan: new UUIDs first (bindings and refs point at them).
pub fn apply(conn: &mut DbConnection, partner: &str, plan: &Plan) -> Result<(), StorageError> {
    let now = now_unix();
    uuids::insert(conn, &plan.new_uuids, now)?;
    bindings::insert(conn, partner, &plan.new_bindings, now)?;
    bindings::mark_ambiguous(conn, &plan.mark_ambiguous)?;
    patient_refs::insert(conn, partner, &plan.new_refs, now)?;
    conflicts::insert_new(conn, partner, &plan.conflicts, now)?;
    same_partner::insert_ambiguities(conn, partner, &plan.ambiguities, now)?;
    same_partner::insert_duplicates(conn, partner, &plan.duplicates, now)?;
    same_partner::insert_shared(conn, partner, &plan.shared, now)?;
    patterns::add(conn, &plan.patterns)?;
    Ok(())
}
