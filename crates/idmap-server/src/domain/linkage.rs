//! The linkage rules of design section 3 as one pure function: given what the
//! store holds for everything a request mentions, decide each patient's UUID
//! and what must be written. No I/O, so every rule is unit-tested here; the
//! store loads a [`Snapshot`] and applies the [`Plan`] in one transaction.
//!
//! Patients are processed in request order over an in-memory overlay of the
//! snapshot, so a later patient sees what an earlier one bound or recorded.

use std::collections::{HashMap, HashSet};

use idmap_common::ids::{PatientRef, RuleCode};
use idmap_common::{LinkUuid, Sha256Hash};

/// A validated patient: optional ref and hashes in priority order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub patient_ref: Option<PatientRef>,
    /// `None` for hashes of `/api/save`, which carry no rule.
    pub hashes: Vec<(Sha256Hash, Option<RuleCode>)>,
}

/// A stored binding as the rules see it (UUID already resolved to its survivor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub uuid: LinkUuid,
    pub ambiguous: bool,
}

/// What the store holds for one request of one partner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Bindings of the request's hashes that exist.
    pub bindings: HashMap<Sha256Hash, Binding>,
    /// The partner's UUID per ref, for the request's refs that exist.
    pub refs: HashMap<PatientRef, LinkUuid>,
    /// Refs under which the partner holds each UUID that is bound to one of
    /// the request's hashes or named by one of its refs (rule 5).
    pub held: HashMap<LinkUuid, HashSet<PatientRef>>,
}

/// A binding to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBinding {
    pub hash: Sha256Hash,
    pub uuid: LinkUuid,
    pub rule: Option<RuleCode>,
    /// Set when a later patient of the same request made it ambiguous.
    pub ambiguous: bool,
}

/// A patient whose hashes pointed at several UUIDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Conflict {
    pub patient_ref: Option<PatientRef>,
    /// The UUID the patient was answered with.
    pub chosen: LinkUuid,
    /// Every UUID involved, sorted and distinct (at least two).
    pub candidates: Vec<LinkUuid>,
}

/// Everything the store writes for a request, and the answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// One per patient, in request order.
    pub answers: Vec<LinkUuid>,
    pub new_uuids: Vec<LinkUuid>,
    pub new_bindings: Vec<NewBinding>,
    /// Bindings that existed before the request and become ambiguous now.
    pub mark_ambiguous: Vec<Sha256Hash>,
    pub new_refs: Vec<(PatientRef, LinkUuid)>,
    pub conflicts: Vec<Conflict>,
    /// Patients without a ref whose every hash is ambiguous: answered with
    /// a fresh UUID that is not stored (rule 5, last paragraph).
    pub unidentified: usize,
}

/// What a link request did, for the audit log: counts only, never hashes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounts {
    pub patients: usize,
    /// Patients answered with a freshly minted UUID (stored or not).
    pub new_uuids: usize,
    /// Patients answered with a UUID that existed or that an earlier
    /// patient of the same request received.
    pub matched: usize,
    pub conflicts: usize,
    /// Hashes that became ambiguous with this request.
    pub ambiguous: usize,
    /// Patients without a ref whose every hash is ambiguous (counted in
    /// `new_uuids` too); for the metrics, not stored in the audit log.
    pub unidentified: usize,
}

impl Plan {
    /// The audit counts of this plan.
    pub fn counts(&self) -> LinkCounts {
        let new_uuids = self.new_uuids.len() + self.unidentified;
        LinkCounts {
            patients: self.answers.len(),
            new_uuids,
            matched: self.answers.len().saturating_sub(new_uuids),
            conflicts: self.conflicts.len(),
            ambiguous: self.mark_ambiguous.len()
                + self.new_bindings.iter().filter(|b| b.ambiguous).count(),
            unidentified: self.unidentified,
        }
    }
}

/// Applies rules 1 to 6 to `patients` in order; `new_uuid` supplies fresh
/// UUIDs (random in production, a counter in tests).
pub fn plan(
    patients: &[Patient],
    snapshot: &Snapshot,
    new_uuid: &mut dyn FnMut() -> LinkUuid,
) -> Plan {
    let mut run = Overlay {
        base: snapshot,
        bindings: HashMap::new(),
        refs: HashMap::new(),
        held: HashMap::new(),
        new_binding_index: HashMap::new(),
        conflict_seen: HashSet::new(),
        plan: Plan::default(),
    };
    for patient in patients {
        let answer = run.link(patient, new_uuid);
        run.plan.answers.push(answer);
    }
    run.plan
}

struct Overlay<'a> {
    base: &'a Snapshot,
    bindings: HashMap<Sha256Hash, Binding>,
    refs: HashMap<PatientRef, LinkUuid>,
    held: HashMap<LinkUuid, HashSet<PatientRef>>,
    /// Position in `plan.new_bindings` of hashes bound by this request.
    new_binding_index: HashMap<Sha256Hash, usize>,
    /// (ref, candidates) of conflicts already in the plan: recorded once.
    conflict_seen: HashSet<(Option<PatientRef>, Vec<LinkUuid>)>,
    plan: Plan,
}

impl Overlay<'_> {
    fn link(&mut self, patient: &Patient, new_uuid: &mut dyn FnMut() -> LinkUuid) -> LinkUuid {
        let hashes = dedupe(&patient.hashes);
        let patient_ref = patient.patient_ref.as_ref();

        // Rule 2: a known (partner, ref) answers its UUID.
        if let Some(r) = patient_ref
            && let Some(known) = self.ref_uuid(r)
        {
            let mut others = Vec::new();
            for (hash, _) in &hashes {
                match self.binding(hash) {
                    Some(b) if b.ambiguous || b.uuid == known => {}
                    Some(b) if self.held_elsewhere(b.uuid, r) => self.make_ambiguous(hash),
                    Some(b) => push_distinct(&mut others, b.uuid),
                    None => {}
                }
            }
            if !others.is_empty() {
                others.push(known);
                self.record_conflict(Some(r), known, others);
            }
            self.bind_unbound(&hashes, known);
            return known;
        }

        // Rules 3 and 5: candidates from non-ambiguous bound hashes.
        let mut candidates = Vec::new();
        let mut all_ambiguous = true;
        for (hash, _) in &hashes {
            match self.binding(hash) {
                Some(b) if b.ambiguous => {}
                Some(b) if patient_ref.is_some_and(|r| self.held_elsewhere(b.uuid, r)) => {
                    self.make_ambiguous(hash);
                }
                Some(b) => {
                    all_ambiguous = false;
                    push_distinct(&mut candidates, b.uuid);
                }
                None => all_ambiguous = false,
            }
        }

        // Rule 5, last paragraph: nothing identifies this patient.
        if patient_ref.is_none() && all_ambiguous {
            self.plan.unidentified += 1;
            return new_uuid();
        }

        // Rule 4.
        let answer = match candidates.first() {
            None => {
                let fresh = new_uuid();
                self.plan.new_uuids.push(fresh);
                fresh
            }
            Some(&first) => {
                if candidates.len() > 1 {
                    self.record_conflict(patient_ref, first, candidates.clone());
                }
                first
            }
        };

        // Rule 6.
        self.bind_unbound(&hashes, answer);
        if let Some(r) = patient_ref {
            self.refs.insert(r.clone(), answer);
            self.held.entry(answer).or_default().insert(r.clone());
            self.plan.new_refs.push((r.clone(), answer));
        }
        answer
    }

    fn binding(&self, hash: &Sha256Hash) -> Option<Binding> {
        self.bindings
            .get(hash)
            .or_else(|| self.base.bindings.get(hash))
            .copied()
    }

    fn ref_uuid(&self, r: &PatientRef) -> Option<LinkUuid> {
        self.refs.get(r).or_else(|| self.base.refs.get(r)).copied()
    }

    /// Whether the partner holds `uuid` under a ref other than `r`.
    fn held_elsewhere(&self, uuid: LinkUuid, r: &PatientRef) -> bool {
        let differs = |refs: &HashSet<PatientRef>| refs.iter().any(|h| h != r);
        self.held.get(&uuid).is_some_and(differs) || self.base.held.get(&uuid).is_some_and(differs)
    }

    fn make_ambiguous(&mut self, hash: &Sha256Hash) {
        let Some(mut b) = self.binding(hash) else {
            return;
        };
        b.ambiguous = true;
        self.bindings.insert(*hash, b);
        match self.new_binding_index.get(hash) {
            Some(&i) => self.plan.new_bindings[i].ambiguous = true,
            None => self.plan.mark_ambiguous.push(*hash),
        }
    }

    fn bind_unbound(&mut self, hashes: &[(Sha256Hash, Option<RuleCode>)], uuid: LinkUuid) {
        for (hash, rule) in hashes {
            if self.binding(hash).is_some() {
                continue;
            }
            self.bindings.insert(
                *hash,
                Binding {
                    uuid,
                    ambiguous: false,
                },
            );
            self.new_binding_index
                .insert(*hash, self.plan.new_bindings.len());
            self.plan.new_bindings.push(NewBinding {
                hash: *hash,
                uuid,
                rule: rule.clone(),
                ambiguous: false,
            });
        }
    }

    fn record_conflict(
        &mut self,
        r: Option<&PatientRef>,
        chosen: LinkUuid,
        mut candidates: Vec<LinkUuid>,
    ) {
        candidates.sort();
        candidates.dedup();
        if self.conflict_seen.insert((r.cloned(), candidates.clone())) {
            self.plan.conflicts.push(Conflict {
                patient_ref: r.cloned(),
                chosen,
                candidates,
            });
        }
    }
}

/// Drops repeated hashes, keeping the first (highest-priority) occurrence.
fn dedupe(hashes: &[(Sha256Hash, Option<RuleCode>)]) -> Vec<(Sha256Hash, Option<RuleCode>)> {
    let mut seen = HashSet::with_capacity(hashes.len());
    hashes
        .iter()
        .filter(|(h, _)| seen.insert(*h))
        .cloned()
        .collect()
}

fn push_distinct(list: &mut Vec<LinkUuid>, uuid: LinkUuid) {
    if !list.contains(&uuid) {
        list.push(uuid);
    }
}

#[cfg(test)]
#[path = "linkage_tests.rs"]
mod tests;
