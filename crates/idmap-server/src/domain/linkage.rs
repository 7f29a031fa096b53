//! The linkage rules partners rely on, as one pure function: given what the
//! store holds for everything a request mentions, decide each patient's UUID
//! and what must be written. No I/O, so every rule is unit-tested here; the
//! store loads a [`Snapshot`] and applies the [`Plan`] in one transaction.
//!
//! Patients are processed in request order over an in-memory overlay of the
//! snapshot, so a later patient sees what an earlier one bound or recorded.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use idmap_common::ids::{PatientRef, RuleCode};
use idmap_common::{LinkUuid, Sha256Hash};
use serde::{Deserialize, Serialize};

use super::evidence::{self, RuleWeight};

/// What rule 5 does with a hash bound to a UUID the partner already holds
/// under another ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SamePartnerPolicy {
    /// The hash becomes ambiguous for everyone, for good.
    Ambiguous,
    /// The hash is no candidate for this partner's patient; it keeps
    /// linking for other partners.
    Separate,
    /// The hash is a candidate like any other; the pair of refs is recorded
    /// as a possible duplicate.
    Link,
    /// As `link`, and a patient whose hashes point at candidates is decided
    /// by the rules' Fellegi-Sunter weights instead of the first hash.
    Evidence,
}

impl SamePartnerPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ambiguous => "ambiguous",
            Self::Separate => "separate",
            Self::Link => "link",
            Self::Evidence => "evidence",
        }
    }
}

/// The network's linkage settings and the weights of its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub policy: SamePartnerPolicy,
    /// A hash held by one partner under more refs than this stops linking.
    pub max_refs_per_hash: usize,
    /// Least total weight the best candidate needs under `evidence`.
    pub link_threshold: f64,
    /// Priority and weights per rule; a rule not here weighs nothing.
    pub weights: Arc<HashMap<RuleCode, RuleWeight>>,
}

/// The earlier behaviour (`ambiguous`), which the rule tests start from;
/// the server's configured default is in `config`.
impl Default for Settings {
    fn default() -> Self {
        Self {
            policy: SamePartnerPolicy::Ambiguous,
            max_refs_per_hash: 10,
            link_threshold: 0.0,
            weights: Arc::new(HashMap::new()),
        }
    }
}

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
    /// Loaded only when a plan asks for it ([`Plan::needs_detail`]): what
    /// the uncommon cases need, so that the common ones cost no query.
    pub detail: Option<Detail>,
}

/// What rule 5's guards and the evidence decision read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// Pairs of the partner's refs declared distinct ([`ref_pair`] order).
    pub distinct: HashSet<(PatientRef, PatientRef)>,
    /// Per hash, the refs under which the partner sent it while holding its
    /// UUID under another ref.
    pub shared: HashMap<Sha256Hash, HashSet<PatientRef>>,
    /// Rules under which each bound UUID (survivor) has hashes.
    pub rules_of: HashMap<LinkUuid, HashSet<RuleCode>>,
}

/// Why a hash became ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmbiguityReason {
    /// The partner holds its UUID under another ref (policy `ambiguous`).
    Refs,
    /// The partner declared the two refs distinct.
    Distinct,
    /// The partner holds it under more refs than the guard allows.
    TooManyRefs,
}

impl AmbiguityReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refs => "refs",
            Self::Distinct => "distinct",
            Self::TooManyRefs => "too_many_refs",
        }
    }
}

/// A hash this request made ambiguous; the requesting partner caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambiguity {
    pub hash: Sha256Hash,
    pub reason: AmbiguityReason,
    /// The partner's refs involved, the submitting one included.
    pub refs: usize,
}

/// Two refs of the partner answered with one UUID (`link`, `evidence`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// In [`ref_pair`] order.
    pub refs: (PatientRef, PatientRef),
    /// Rules of the hashes that tied them, sorted.
    pub rules: BTreeSet<RuleCode>,
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
    /// Every hash made ambiguous (existing or new binding), with its cause.
    pub ambiguities: Vec<Ambiguity>,
    pub duplicates: Vec<Duplicate>,
    /// (hash, ref) met with the hash's UUID held under another ref.
    pub shared: Vec<(Sha256Hash, PatientRef)>,
    /// Agreement patterns (see [`evidence::pattern_text`]) and how often
    /// each was seen, counted under `evidence`.
    pub patterns: BTreeMap<String, u64>,
    /// The snapshot lacked its [`Detail`] and this plan needs it: load it
    /// and plan again (this plan is not to be applied).
    pub needs_detail: bool,
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
            ambiguous: self.ambiguities.len(),
            unidentified: self.unidentified,
        }
    }
}

/// Applies rules 1 to 6 to `patients` in order; `new_uuid` supplies fresh
/// UUIDs (random in production, a counter in tests).
pub fn plan(
    patients: &[Patient],
    snapshot: &Snapshot,
    settings: &Settings,
    new_uuid: &mut dyn FnMut() -> LinkUuid,
) -> Plan {
    let mut run = Overlay {
        base: snapshot,
        settings,
        rules_of: HashMap::new(),
        shared: HashSet::new(),
        duplicate_index: HashMap::new(),
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
    settings: &'a Settings,
    /// Rules of the hashes this request bound, per UUID.
    rules_of: HashMap<LinkUuid, HashSet<RuleCode>>,
    /// (hash, ref) already in `plan.shared` or in the detail.
    shared: HashSet<(Sha256Hash, PatientRef)>,
    duplicate_index: HashMap<(PatientRef, PatientRef), usize>,
    bindings: HashMap<Sha256Hash, Binding>,
    refs: HashMap<PatientRef, LinkUuid>,
    held: HashMap<LinkUuid, HashSet<PatientRef>>,
    /// Position in `plan.new_bindings` of hashes bound by this request.
    new_binding_index: HashMap<Sha256Hash, usize>,
    /// (ref, candidates) of conflicts already in the plan: recorded once.
    conflict_seen: HashSet<(Option<PatientRef>, Vec<LinkUuid>)>,
    plan: Plan,
}

/// What rule 5 makes of a bound hash for a patient with a ref.
enum Held {
    /// The partner holds the hash's UUID under no other ref.
    NotElsewhere,
    /// Not a candidate for this patient (ambiguous now, or `separate`).
    Skip,
    /// A candidate; the other refs holding its UUID.
    Candidate(Vec<PatientRef>),
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
            for (hash, rule) in &hashes {
                match self.binding(hash) {
                    Some(b) if b.ambiguous || b.uuid == known => {}
                    Some(b) => match self.rule5(hash, b.uuid, r) {
                        Held::Skip => {}
                        Held::NotElsewhere => push_distinct(&mut others, b.uuid),
                        Held::Candidate(holders) => {
                            push_distinct(&mut others, b.uuid);
                            self.record_duplicates(r, &holders, rule.as_ref());
                        }
                    },
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
        let mut ties: Vec<(LinkUuid, Vec<PatientRef>, Option<RuleCode>)> = Vec::new();
        let mut all_ambiguous = true;
        for (hash, rule) in &hashes {
            match self.binding(hash) {
                Some(b) if b.ambiguous => {}
                Some(b) => {
                    let held = match patient_ref {
                        Some(r) => self.rule5(hash, b.uuid, r),
                        None => Held::NotElsewhere,
                    };
                    match held {
                        Held::Skip => {}
                        Held::NotElsewhere => {
                            all_ambiguous = false;
                            push_distinct(&mut candidates, b.uuid);
                        }
                        Held::Candidate(holders) => {
                            all_ambiguous = false;
                            push_distinct(&mut candidates, b.uuid);
                            ties.push((b.uuid, holders, rule.clone()));
                        }
                    }
                }
                None => all_ambiguous = false,
            }
        }

        // Rule 5, last paragraph: nothing identifies this patient.
        if patient_ref.is_none() && all_ambiguous {
            self.plan.unidentified += 1;
            return new_uuid();
        }

        // Rule 4, or the evidence when the policy says so.
        let chosen = if self.settings.policy == SamePartnerPolicy::Evidence {
            self.weigh(&hashes, &candidates)
        } else {
            candidates.first().copied()
        };
        let answer = match chosen {
            Some(c) => c,
            None => {
                let fresh = new_uuid();
                self.plan.new_uuids.push(fresh);
                fresh
            }
        };
        let mut involved = candidates.clone();
        push_distinct(&mut involved, answer);
        if involved.len() > 1 {
            self.record_conflict(patient_ref, answer, involved);
        }
        if let Some(r) = patient_ref {
            for (uuid, holders, rule) in &ties {
                if *uuid == answer {
                    self.record_duplicates(r, holders, rule.as_ref());
                }
            }
        }

        // Rule 6.
        self.bind_unbound(&hashes, answer);
        if let Some(r) = patient_ref {
            self.refs.insert(r.clone(), answer);
            self.held.entry(answer).or_default().insert(r.clone());
            self.plan.new_refs.push((r.clone(), answer));
        }
        answer
    }

    /// Rule 5 for `hash`, bound to `uuid`, sent by the patient with ref `r`:
    /// the guards first (too many refs, refs declared distinct), then the
    /// policy.
    fn rule5(&mut self, hash: &Sha256Hash, uuid: LinkUuid, r: &PatientRef) -> Held {
        let holders = self.holders_besides(uuid, r);
        if holders.is_empty() {
            return Held::NotElsewhere;
        }
        if self.settings.policy == SamePartnerPolicy::Ambiguous {
            self.make_ambiguous(hash, AmbiguityReason::Refs, holders.len() + 1);
            return Held::Skip;
        }
        let base = self.base;
        let Some(detail) = base.detail.as_ref() else {
            self.plan.needs_detail = true;
            return Held::Skip;
        };
        let mut refs: HashSet<&PatientRef> = holders.iter().collect();
        refs.insert(r);
        if let Some(sent) = detail.shared.get(hash) {
            refs.extend(sent);
        }
        refs.extend(
            self.shared
                .iter()
                .filter(|(h, _)| h == hash)
                .map(|(_, s)| s),
        );
        let count = refs.len();
        if count > self.settings.max_refs_per_hash {
            self.make_ambiguous(hash, AmbiguityReason::TooManyRefs, count);
            return Held::Skip;
        }
        if holders
            .iter()
            .any(|h| detail.distinct.contains(&ref_pair(r, h)))
        {
            self.make_ambiguous(hash, AmbiguityReason::Distinct, 2);
            return Held::Skip;
        }
        let seen = detail.shared.get(hash).is_some_and(|s| s.contains(r));
        if !seen && self.shared.insert((*hash, r.clone())) {
            self.plan.shared.push((*hash, r.clone()));
        }
        match self.settings.policy {
            SamePartnerPolicy::Separate => Held::Skip,
            _ => Held::Candidate(holders),
        }
    }

    /// The evidence decision: each candidate's total weight over the
    /// patient's rules (agreement when the rule's hash is bound to it,
    /// disagreement when it has a hash of that rule but not this one);
    /// the best if it reaches the threshold, `None` for a new UUID.
    fn weigh(
        &mut self,
        hashes: &[(Sha256Hash, Option<RuleCode>)],
        candidates: &[LinkUuid],
    ) -> Option<LinkUuid> {
        let &first = candidates.first()?;
        let live: Vec<(Option<LinkUuid>, &RuleCode)> = hashes
            .iter()
            .filter_map(|(h, rule)| {
                let rule = rule.as_ref()?;
                match self.binding(h) {
                    Some(b) if b.ambiguous => None,
                    b => Some((b.map(|b| b.uuid), rule)),
                }
            })
            .collect();
        let consistent = candidates.len() == 1 && live.iter().all(|(u, _)| *u == Some(first));
        if !consistent && self.base.detail.is_none() {
            self.plan.needs_detail = true;
            return Some(first);
        }
        let mut best: Option<(f64, i64, LinkUuid)> = None;
        for &c in candidates {
            let comparison: Vec<(&RuleCode, Option<bool>)> = live
                .iter()
                .map(|(u, rule)| {
                    let agrees = *u == Some(c);
                    let seen = agrees || self.has_rule(c, rule);
                    (*rule, seen.then_some(agrees))
                })
                .collect();
            let total = evidence::total_weight(&comparison, &self.settings.weights);
            if let Some(p) = evidence::pattern_text(&comparison) {
                *self.plan.patterns.entry(p).or_default() += 1;
            }
            let rank = comparison
                .iter()
                .filter(|(_, a)| *a == Some(true))
                .map(|(rule, _)| {
                    self.settings
                        .weights
                        .get(*rule)
                        .map_or(i64::MAX, |w| i64::from(w.priority))
                })
                .min()
                .unwrap_or(i64::MAX);
            let better = best.is_none_or(|(t, p, _)| total > t || (total == t && rank < p));
            if better {
                best = Some((total, rank, c));
            }
        }
        best.filter(|(t, _, _)| *t >= self.settings.link_threshold)
            .map(|(_, _, c)| c)
    }

    /// Whether `uuid` has a hash under `rule`, stored or bound by this request.
    fn has_rule(&self, uuid: LinkUuid, rule: &RuleCode) -> bool {
        let stored = self
            .base
            .detail
            .as_ref()
            .and_then(|d| d.rules_of.get(&uuid))
            .is_some_and(|s| s.contains(rule));
        stored || self.rules_of.get(&uuid).is_some_and(|s| s.contains(rule))
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

    /// The refs other than `r` under which the partner holds `uuid`, sorted.
    fn holders_besides(&self, uuid: LinkUuid, r: &PatientRef) -> Vec<PatientRef> {
        let mut out: Vec<PatientRef> = self
            .held
            .get(&uuid)
            .into_iter()
            .chain(self.base.held.get(&uuid))
            .flatten()
            .filter(|h| *h != r)
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn make_ambiguous(&mut self, hash: &Sha256Hash, reason: AmbiguityReason, refs: usize) {
        let Some(mut b) = self.binding(hash) else {
            return;
        };
        b.ambiguous = true;
        self.bindings.insert(*hash, b);
        match self.new_binding_index.get(hash) {
            Some(&i) => self.plan.new_bindings[i].ambiguous = true,
            None => self.plan.mark_ambiguous.push(*hash),
        }
        self.plan.ambiguities.push(Ambiguity {
            hash: *hash,
            reason,
            refs,
        });
    }

    fn record_duplicates(
        &mut self,
        r: &PatientRef,
        holders: &[PatientRef],
        rule: Option<&RuleCode>,
    ) {
        for h in holders {
            let pair = ref_pair(r, h);
            let i = match self.duplicate_index.get(&pair) {
                Some(&i) => i,
                None => {
                    self.duplicate_index
                        .insert(pair.clone(), self.plan.duplicates.len());
                    self.plan.duplicates.push(Duplicate {
                        refs: pair,
                        rules: BTreeSet::new(),
                    });
                    self.plan.duplicates.len() - 1
                }
            };
            if let Some(rule) = rule {
                self.plan.duplicates[i].rules.insert(rule.clone());
            }
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
            if let Some(rule) = rule {
                self.rules_of.entry(uuid).or_default().insert(rule.clone());
            }
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

/// Two refs in one order, so that a pair has one key.
pub fn ref_pair(a: &PatientRef, b: &PatientRef) -> (PatientRef, PatientRef) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
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

/// Every hash of the request once, sorted: the keys its reads look up.
pub fn request_hashes(patients: &[Patient]) -> Vec<Sha256Hash> {
    let mut hashes: Vec<Sha256Hash> = patients
        .iter()
        .flat_map(|p| p.hashes.iter().map(|(h, _)| *h))
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Every ref of the request once.
pub fn request_refs(patients: &[Patient]) -> Vec<&PatientRef> {
    let mut refs: Vec<&PatientRef> = patients
        .iter()
        .filter_map(|p| p.patient_ref.as_ref())
        .collect();
    refs.sort_unstable();
    refs.dedup();
    refs
}
