//! One or more tests per linkage rule: every rule is a contract partners
//! rely on, so each has a test that fails if it changes.

use super::*;

fn h(n: u8) -> Sha256Hash {
    Sha256Hash::from_bytes([n; 32])
}

fn u(n: u8) -> LinkUuid {
    LinkUuid::from_bytes([n; 16])
}

fn r(s: &str) -> PatientRef {
    PatientRef::parse(s).unwrap()
}

fn rule(s: &str) -> Option<RuleCode> {
    Some(RuleCode::parse(s).unwrap())
}

fn patient(patient_ref: Option<&str>, hashes: &[u8]) -> Patient {
    Patient {
        patient_ref: patient_ref.map(r),
        hashes: hashes.iter().map(|&n| (h(n), rule("F_L_D_S"))).collect(),
    }
}

/// Fresh UUIDs 100, 101, ... so tests can name them.
fn counter() -> impl FnMut() -> LinkUuid {
    let mut next = 100u8;
    move || {
        next += 1;
        u(next - 1)
    }
}

fn bound(snapshot: &mut Snapshot, hash: u8, uuid: u8, ambiguous: bool) {
    snapshot.bindings.insert(
        h(hash),
        Binding {
            uuid: u(uuid),
            ambiguous,
        },
    );
}

fn holds(snapshot: &mut Snapshot, patient_ref: &str, uuid: u8) {
    snapshot.refs.insert(r(patient_ref), u(uuid));
    snapshot
        .held
        .entry(u(uuid))
        .or_default()
        .insert(r(patient_ref));
}

/// What the store would hold after applying `plan` (the test's stand-in).
fn apply(snapshot: &mut Snapshot, plan: &Plan) {
    for b in &plan.new_bindings {
        bound_raw(snapshot, b.hash, b.uuid, b.ambiguous);
    }
    for hash in &plan.mark_ambiguous {
        if let Some(b) = snapshot.bindings.get_mut(hash) {
            b.ambiguous = true;
        }
    }
    for (pr, uuid) in &plan.new_refs {
        snapshot.refs.insert(pr.clone(), *uuid);
        snapshot.held.entry(*uuid).or_default().insert(pr.clone());
    }
}

fn bound_raw(snapshot: &mut Snapshot, hash: Sha256Hash, uuid: LinkUuid, ambiguous: bool) {
    assert!(
        !snapshot.bindings.contains_key(&hash),
        "rule 1: a hash is bound once"
    );
    snapshot.bindings.insert(hash, Binding { uuid, ambiguous });
}

fn run(patients: &[Patient], snapshot: &Snapshot) -> Plan {
    plan(patients, snapshot, &Settings::default(), &mut counter())
}

// Rule 1: a hash is bound to at most one UUID, ever; the first binding wins.

#[test]
fn rule1_an_existing_binding_is_never_replaced() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    let p = run(&[patient(None, &[1, 2])], &s);
    assert_eq!(p.answers, [u(7)]);
    assert_eq!(p.new_bindings.len(), 1);
    assert_eq!(p.new_bindings[0].hash, h(2));
    assert_eq!(p.new_bindings[0].uuid, u(7));
    assert!(p.new_uuids.is_empty());
}

#[test]
fn rule1_the_same_new_hash_twice_in_a_request_is_bound_once() {
    let p = run(
        &[patient(None, &[1]), patient(None, &[1])],
        &Snapshot::default(),
    );
    assert_eq!(p.answers, [u(100), u(100)]);
    assert_eq!(p.new_bindings.len(), 1);
    assert_eq!(p.new_uuids, [u(100)]);
}

#[test]
fn rule1_a_later_patient_sees_an_earlier_binding_of_the_same_request() {
    let p = run(
        &[patient(Some("a"), &[1, 2]), patient(None, &[2, 3])],
        &Snapshot::default(),
    );
    assert_eq!(p.answers, [u(100), u(100)]);
    let bound: Vec<_> = p.new_bindings.iter().map(|b| (b.hash, b.uuid)).collect();
    assert_eq!(bound, [(h(1), u(100)), (h(2), u(100)), (h(3), u(100))]);
}

#[test]
fn hashes_are_deduplicated_within_a_patient_keeping_the_first_rule() {
    let pat = Patient {
        patient_ref: None,
        hashes: vec![
            (h(1), rule("F_L_D_R")),
            (h(1), rule("F_L_D_S")),
            (h(2), None),
        ],
    };
    let p = run(&[pat], &Snapshot::default());
    assert_eq!(p.new_bindings.len(), 2);
    assert_eq!(p.new_bindings[0].rule, rule("F_L_D_R"));
    assert_eq!(p.new_bindings[1].rule, None);
}

// Rule 2: a known (P, R) answers its UUID.

#[test]
fn rule2_known_ref_answers_its_uuid_and_binds_unbound_hashes_to_it() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 5);
    let p = run(&[patient(Some("a"), &[1, 2])], &s);
    assert_eq!(p.answers, [u(5)]);
    assert!(p.new_uuids.is_empty() && p.new_refs.is_empty() && p.conflicts.is_empty());
    let bound: Vec<_> = p.new_bindings.iter().map(|b| (b.hash, b.uuid)).collect();
    assert_eq!(bound, [(h(1), u(5)), (h(2), u(5))]);
}

#[test]
fn rule2_hashes_bound_elsewhere_are_a_conflict_not_a_rebinding() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 5);
    bound(&mut s, 1, 7, false);
    bound(&mut s, 2, 8, false);
    bound(&mut s, 3, 5, false);
    let p = run(&[patient(Some("a"), &[1, 2, 3, 4])], &s);
    assert_eq!(p.answers, [u(5)]);
    assert_eq!(
        p.conflicts,
        [Conflict {
            patient_ref: Some(r("a")),
            chosen: u(5),
            candidates: vec![u(5), u(7), u(8)],
        }]
    );
    assert_eq!(p.new_bindings.len(), 1, "only hash 4 was unbound");
    assert!(
        p.mark_ambiguous.is_empty(),
        "a conflict does not make a hash ambiguous"
    );
}

#[test]
fn rule2_conflict_is_the_same_on_a_retry_so_the_store_records_it_once() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 5);
    bound(&mut s, 1, 7, false);
    let first = run(&[patient(Some("a"), &[1])], &s);
    apply(&mut s, &first);
    let again = run(&[patient(Some("a"), &[1])], &s);
    assert_eq!(first.conflicts, again.conflicts);
    assert_eq!(again.answers, [u(5)]);
}

#[test]
fn rule2_with_rule5_a_hash_held_under_another_ref_becomes_ambiguous() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 5);
    holds(&mut s, "b", 7);
    bound(&mut s, 1, 7, false);
    let p = run(&[patient(Some("a"), &[1])], &s);
    assert_eq!(p.answers, [u(5)]);
    assert_eq!(p.mark_ambiguous, [h(1)]);
    assert!(p.conflicts.is_empty());
}

#[test]
fn rule2_skips_ambiguous_hashes() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 5);
    bound(&mut s, 1, 7, true);
    let p = run(&[patient(Some("a"), &[1])], &s);
    assert_eq!(p.answers, [u(5)]);
    assert!(p.conflicts.is_empty() && p.mark_ambiguous.is_empty() && p.new_bindings.is_empty());
}

// Rules 3 and 4: candidates, none / one / several.

#[test]
fn rule4_no_candidate_gives_a_new_uuid_and_records_everything() {
    let p = run(&[patient(Some("a"), &[1, 2])], &Snapshot::default());
    assert_eq!(p.answers, [u(100)]);
    assert_eq!(p.new_uuids, [u(100)]);
    assert_eq!(p.new_refs, [(r("a"), u(100))]);
    assert_eq!(p.new_bindings.len(), 2);
    assert!(
        p.new_bindings
            .iter()
            .all(|b| b.uuid == u(100) && !b.ambiguous)
    );
}

#[test]
fn rule4_one_candidate_is_the_answer() {
    let mut s = Snapshot::default();
    bound(&mut s, 2, 9, false);
    let p = run(&[patient(Some("a"), &[1, 2])], &s);
    assert_eq!(p.answers, [u(9)]);
    assert!(p.new_uuids.is_empty() && p.conflicts.is_empty());
    assert_eq!(p.new_refs, [(r("a"), u(9))]);
}

#[test]
fn rule4_several_candidates_take_the_highest_priority_hash_and_record_a_conflict() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, false);
    bound(&mut s, 2, 3, false);
    bound(&mut s, 3, 9, false);
    let p = run(&[patient(None, &[1, 2, 3, 4])], &s);
    assert_eq!(p.answers, [u(9)]);
    assert_eq!(
        p.conflicts,
        [Conflict {
            patient_ref: None,
            chosen: u(9),
            candidates: vec![u(3), u(9)],
        }]
    );
    assert_eq!(p.new_bindings.len(), 1);
    assert_eq!(
        (p.new_bindings[0].hash, p.new_bindings[0].uuid),
        (h(4), u(9))
    );
    assert!(p.mark_ambiguous.is_empty());
}

#[test]
fn rule4_conflict_is_recorded_once_per_request_and_identically_on_retry() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, false);
    bound(&mut s, 2, 3, false);
    let p = run(&[patient(None, &[1, 2]), patient(None, &[2, 1])], &s);
    assert_eq!(p.answers, [u(9), u(3)]);
    assert_eq!(
        p.conflicts.len(),
        1,
        "same ref and candidate set: one conflict"
    );
    apply(&mut s, &p);
    let again = run(&[patient(None, &[1, 2])], &s);
    assert_eq!(again.conflicts, p.conflicts[..1]);
}

#[test]
fn rule4_then_rule2_on_retry_gives_the_same_conflict_key() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, false);
    bound(&mut s, 2, 3, false);
    let first = run(&[patient(Some("a"), &[1, 2])], &s);
    apply(&mut s, &first);
    let again = run(&[patient(Some("a"), &[1, 2])], &s);
    assert_eq!(again.answers, first.answers);
    assert_eq!(again.conflicts, first.conflicts);
}

#[test]
fn rule3_ambiguous_hashes_are_never_candidates() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, true);
    bound(&mut s, 2, 3, false);
    let p = run(&[patient(None, &[1, 2])], &s);
    assert_eq!(p.answers, [u(3)]);
    assert!(p.conflicts.is_empty());
}

// Rule 5: same-partner protection.

#[test]
fn rule5_across_requests_makes_the_shared_hash_ambiguous_and_keeps_its_binding() {
    let mut s = Snapshot::default();
    let first = run(&[patient(Some("a"), &[1, 2])], &s);
    apply(&mut s, &first);
    let second = plan(
        &[patient(Some("b"), &[1, 3])],
        &s,
        &Settings::default(),
        &mut || u(200),
    );
    assert_eq!(second.answers, [u(200)]);
    assert_ne!(second.answers, first.answers);
    assert_eq!(second.mark_ambiguous, [h(1)]);
    assert!(second.conflicts.is_empty());
    assert!(
        second.new_bindings.iter().all(|b| b.hash != h(1)),
        "binding kept"
    );
    apply(&mut s, &second);
    assert_eq!(
        s.bindings[&h(1)],
        Binding {
            uuid: u(100),
            ambiguous: true
        }
    );
}

#[test]
fn rule5_within_one_request() {
    let p = run(
        &[patient(Some("a"), &[1, 2]), patient(Some("b"), &[1, 3])],
        &Snapshot::default(),
    );
    assert_eq!(p.answers, [u(100), u(101)]);
    assert!(p.mark_ambiguous.is_empty(), "hash 1 is new in this request");
    let b1 = p.new_bindings.iter().find(|b| b.hash == h(1)).unwrap();
    assert_eq!((b1.uuid, b1.ambiguous), (u(100), true));
    assert!(p.conflicts.is_empty());
}

#[test]
fn rule5_within_one_request_after_rule2_bound_a_new_hash() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 5);
    let p = run(&[patient(Some("a"), &[1]), patient(Some("b"), &[1])], &s);
    assert_eq!(p.answers, [u(5), u(100)]);
    assert_eq!(p.new_bindings.len(), 1);
    assert_eq!(
        (p.new_bindings[0].uuid, p.new_bindings[0].ambiguous),
        (u(5), true)
    );
}

#[test]
fn rule5_an_ambiguous_hash_never_links_anyone_again() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, true);
    // Another partner, no ref: not linked to 9.
    let p = run(&[patient(None, &[1, 2])], &s);
    assert_eq!(p.answers, [u(100)]);
    // With a ref, the same.
    let p = run(&[patient(Some("z"), &[1])], &s);
    assert_eq!(p.answers, [u(100)]);
    assert!(p.new_bindings.is_empty());
}

#[test]
fn rule5_only_refs_count_as_holding() {
    let mut s = Snapshot::default();
    let first = run(&[patient(None, &[1])], &s);
    apply(&mut s, &first);
    let p = run(&[patient(Some("b"), &[1])], &s);
    assert_eq!(p.answers, first.answers);
    assert!(p.mark_ambiguous.is_empty());
}

#[test]
fn rule5_needs_a_ref_on_the_patient() {
    let mut s = Snapshot::default();
    holds(&mut s, "a", 9);
    bound(&mut s, 1, 9, false);
    let p = run(&[patient(None, &[1])], &s);
    assert_eq!(p.answers, [u(9)]);
    assert!(p.mark_ambiguous.is_empty());
}

#[test]
fn rule5_the_same_ref_is_not_a_different_person() {
    let mut s = Snapshot::default();
    let first = run(&[patient(Some("a"), &[1]), patient(Some("a"), &[1, 2])], &s);
    assert_eq!(first.answers, [u(100), u(100)]);
    assert!(first.new_bindings.iter().all(|b| !b.ambiguous));
    apply(&mut s, &first);
    let again = run(&[patient(Some("a"), &[2, 1])], &s);
    assert_eq!(again.answers, [u(100)]);
    assert!(again.mark_ambiguous.is_empty() && again.new_bindings.is_empty());
}

#[test]
fn rule5_a_refless_patient_with_only_ambiguous_hashes_gets_a_fresh_uuid_and_stores_nothing() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, true);
    bound(&mut s, 2, 8, true);
    let mut next = counter();
    let p1 = plan(
        &[patient(None, &[1, 2])],
        &s,
        &Settings::default(),
        &mut next,
    );
    let p2 = plan(
        &[patient(None, &[1, 2])],
        &s,
        &Settings::default(),
        &mut next,
    );
    assert_ne!(p1.answers, p2.answers);
    for p in [p1, p2] {
        assert!(p.new_uuids.is_empty() && p.new_bindings.is_empty() && p.new_refs.is_empty());
    }
}

#[test]
fn rule5_a_patient_with_ref_and_only_ambiguous_hashes_is_stable_through_its_ref() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, true);
    let first = run(&[patient(Some("a"), &[1])], &s);
    assert_eq!(first.new_refs, [(r("a"), u(100))]);
    apply(&mut s, &first);
    let again = run(&[patient(Some("a"), &[1])], &s);
    assert_eq!(again.answers, first.answers);
}

// Rule 6 and retries.

#[test]
fn rule6_unbound_hashes_are_bound_with_their_rule_and_ambiguity_cleared() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 9, false);
    let pat = Patient {
        patient_ref: Some(r("a")),
        hashes: vec![(h(1), rule("F_L_D_R")), (h(2), rule("F_L_D_S"))],
    };
    let p = run(&[pat], &s);
    assert_eq!(
        p.new_bindings,
        [NewBinding {
            hash: h(2),
            uuid: u(9),
            rule: rule("F_L_D_S"),
            ambiguous: false
        }]
    );
    assert_eq!(p.new_refs, [(r("a"), u(9))]);
}

#[test]
fn a_retry_gives_the_same_uuids_and_writes_nothing_new() {
    let mut s = Snapshot::default();
    bound(&mut s, 50, 60, false);
    let patients = [
        patient(Some("a"), &[1, 2]),
        patient(Some("b"), &[2, 3]),
        patient(None, &[4, 50]),
        patient(None, &[5]),
        patient(Some("c"), &[50, 6]),
    ];
    let first = run(&patients, &s);
    apply(&mut s, &first);
    let again = plan(&patients, &s, &Settings::default(), &mut || u(250));
    assert_eq!(again.answers, first.answers);
    assert!(again.new_uuids.is_empty());
    assert!(again.new_bindings.is_empty());
    assert!(again.new_refs.is_empty());
    assert!(again.mark_ambiguous.is_empty());
}

// Rule 5's policies, its guards and the evidence decision.

fn with_policy(policy: SamePartnerPolicy) -> Settings {
    Settings {
        policy,
        ..Settings::default()
    }
}

/// Plans as the store does: again with the detail when the plan asks.
fn run_with(settings: &Settings, patients: &[Patient], snapshot: &Snapshot) -> Plan {
    let first = plan(patients, snapshot, settings, &mut counter());
    if !first.needs_detail {
        return first;
    }
    let mut s = snapshot.clone();
    s.detail.get_or_insert_with(Detail::default);
    let again = plan(patients, &s, settings, &mut counter());
    assert!(!again.needs_detail, "a plan with its detail needs no more");
    again
}

fn rule_patient(patient_ref: Option<&str>, hashes: &[(u8, &str)]) -> Patient {
    Patient {
        patient_ref: patient_ref.map(r),
        hashes: hashes.iter().map(|&(n, code)| (h(n), rule(code))).collect(),
    }
}

#[test]
fn rule5_ambiguous_records_the_cause_with_the_refs_involved() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    holds(&mut s, "a", 7);
    let p = run(&[patient(Some("b"), &[1])], &s);
    assert_eq!(
        p.ambiguities,
        [Ambiguity {
            hash: h(1),
            reason: AmbiguityReason::Refs,
            refs: 2
        }]
    );
    assert_eq!(p.counts().ambiguous, 1);
    assert!(!p.needs_detail, "the default policy never reads the detail");
}

#[test]
fn rule5_separate_skips_the_hash_for_the_partner_but_keeps_it_linking() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    holds(&mut s, "a", 7);
    let settings = with_policy(SamePartnerPolicy::Separate);
    let p = run_with(&settings, &[patient(Some("b"), &[1, 2])], &s);
    assert_eq!(p.answers, [u(100)], "decided by its other hashes");
    assert!(p.ambiguities.is_empty() && p.mark_ambiguous.is_empty());
    assert!(p.duplicates.is_empty() && p.conflicts.is_empty());
    assert_eq!(p.shared, [(h(1), r("b"))]);
    // Another partner (who holds nothing) still links through it.
    let other = Snapshot {
        held: HashMap::new(),
        refs: HashMap::new(),
        ..s.clone()
    };
    let q = run_with(&settings, &[patient(Some("x"), &[1])], &other);
    assert_eq!(q.answers, [u(7)]);
}

#[test]
fn rule5_link_answers_the_same_uuid_and_records_a_possible_duplicate() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    bound(&mut s, 2, 7, false);
    holds(&mut s, "b", 7);
    let settings = with_policy(SamePartnerPolicy::Link);
    let p = run_with(
        &settings,
        &[rule_patient(
            Some("a"),
            &[(1, "F_L_D_S"), (2, "F_L_D_Z"), (3, "F_L_D_C")],
        )],
        &s,
    );
    assert_eq!(p.answers, [u(7)]);
    assert!(p.ambiguities.is_empty());
    assert_eq!(p.duplicates.len(), 1);
    assert_eq!(p.duplicates[0].refs, (r("a"), r("b")));
    let rules: Vec<&str> = p.duplicates[0].rules.iter().map(|c| c.as_str()).collect();
    assert_eq!(rules, ["F_L_D_S", "F_L_D_Z"]);
}

#[test]
fn rule5_link_within_one_request() {
    let settings = with_policy(SamePartnerPolicy::Link);
    let p = run_with(
        &settings,
        &[patient(Some("a"), &[1, 2]), patient(Some("b"), &[2, 3])],
        &Snapshot::default(),
    );
    assert_eq!(p.answers, [u(100), u(100)]);
    assert_eq!(p.duplicates.len(), 1);
    assert_eq!(p.duplicates[0].refs, (r("a"), r("b")));
}

#[test]
fn rule5_separate_within_one_request() {
    let settings = with_policy(SamePartnerPolicy::Separate);
    let p = run_with(
        &settings,
        &[patient(Some("a"), &[1]), patient(Some("b"), &[1, 2])],
        &Snapshot::default(),
    );
    assert_eq!(p.answers, [u(100), u(101)]);
    assert!(p.ambiguities.is_empty());
}

#[test]
fn rule5_policies_other_than_ambiguous_read_the_detail_only_when_refs_differ() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    holds(&mut s, "a", 7);
    let settings = with_policy(SamePartnerPolicy::Link);
    let same = plan(&[patient(Some("a"), &[1])], &s, &settings, &mut counter());
    assert!(!same.needs_detail, "a ref sending its own hashes again");
    let fresh = plan(&[patient(Some("c"), &[9])], &s, &settings, &mut counter());
    assert!(!fresh.needs_detail, "unbound hashes");
    let other = plan(&[patient(Some("b"), &[1])], &s, &settings, &mut counter());
    assert!(other.needs_detail);
}

#[test]
fn rule5_refs_declared_distinct_make_the_shared_hash_ambiguous_whatever_the_policy() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    holds(&mut s, "a", 7);
    s.detail = Some(Detail {
        distinct: HashSet::from([ref_pair(&r("b"), &r("a"))]),
        ..Detail::default()
    });
    for policy in [
        SamePartnerPolicy::Separate,
        SamePartnerPolicy::Link,
        SamePartnerPolicy::Evidence,
    ] {
        let p = run_with(&with_policy(policy), &[patient(Some("b"), &[1, 2])], &s);
        assert_eq!(p.answers, [u(100)], "{policy:?}");
        assert_eq!(p.mark_ambiguous, [h(1)], "{policy:?}");
        assert_eq!(p.ambiguities[0].reason, AmbiguityReason::Distinct);
        assert!(p.duplicates.is_empty());
    }
}

#[test]
fn guard_a_hash_sent_under_too_many_refs_stops_linking_whatever_the_policy() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    holds(&mut s, "a", 7);
    let shared: HashSet<PatientRef> = (0..9).map(|i| r(&format!("s{i}"))).collect();
    s.detail = Some(Detail {
        shared: HashMap::from([(h(1), shared)]),
        ..Detail::default()
    });
    for policy in [SamePartnerPolicy::Separate, SamePartnerPolicy::Link] {
        // a, s0..s8 and b: 11 refs, more than 10.
        let p = run_with(&with_policy(policy), &[patient(Some("b"), &[1])], &s);
        assert_eq!(
            p.ambiguities,
            [Ambiguity {
                hash: h(1),
                reason: AmbiguityReason::TooManyRefs,
                refs: 11
            }],
            "{policy:?}"
        );
        assert_eq!(p.answers, [u(100)]);
    }
    // At the limit it still links.
    let settings = Settings {
        max_refs_per_hash: 11,
        ..with_policy(SamePartnerPolicy::Link)
    };
    let p = run_with(&settings, &[patient(Some("b"), &[1])], &s);
    assert_eq!(p.answers, [u(7)]);
    assert_eq!(p.shared, [(h(1), r("b"))]);
}

#[test]
fn guard_counts_refs_of_the_same_request() {
    let settings = Settings {
        max_refs_per_hash: 2,
        ..with_policy(SamePartnerPolicy::Separate)
    };
    let p = run_with(
        &settings,
        &[
            patient(Some("a"), &[1]),
            patient(Some("b"), &[1]),
            patient(Some("c"), &[1]),
        ],
        &Snapshot::default(),
    );
    assert_eq!(p.ambiguities.len(), 1);
    assert_eq!(p.ambiguities[0].reason, AmbiguityReason::TooManyRefs);
    assert!(p.new_bindings[0].ambiguous);
}

fn weighted(entries: &[(&str, i32, f64, f64)]) -> Settings {
    let weights = entries
        .iter()
        .map(|&(code, priority, m, uu)| {
            (
                RuleCode::parse(code).unwrap(),
                evidence::RuleWeight::new(priority, Some(m), Some(uu)),
            )
        })
        .collect();
    Settings {
        weights: Arc::new(weights),
        ..with_policy(SamePartnerPolicy::Evidence)
    }
}

#[test]
fn evidence_follows_the_weights_instead_of_the_first_hash() {
    // Hash 1 (weak rule A) points at 7, hashes 2 and 3 (strong B, C) at 8.
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    bound(&mut s, 2, 8, false);
    bound(&mut s, 3, 8, false);
    let settings = weighted(&[
        ("A", 10, 0.9, 0.5),
        ("B", 20, 0.9, 0.01),
        ("C", 30, 0.9, 0.01),
    ]);
    let patients = [rule_patient(None, &[(1, "A"), (2, "B"), (3, "C")])];
    let p = run_with(&settings, &patients, &s);
    assert_eq!(p.answers, [u(8)]);
    assert_eq!(p.conflicts.len(), 1, "the conflict is still recorded");
    assert_eq!(p.conflicts[0].chosen, u(8));
    // Today's rule 4 would have taken the first hash's UUID.
    assert_eq!(run(&patients, &s).answers, [u(7)]);
}

#[test]
fn evidence_refuses_a_candidate_below_the_threshold_and_counts_the_pattern() {
    // A twin: agrees on a key without the first name, disagrees on the
    // candidate's first-name keys.
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    s.detail = Some(Detail {
        rules_of: HashMap::from([(
            u(7),
            HashSet::from([
                RuleCode::parse("F_L_D_S").unwrap(),
                RuleCode::parse("L_D_Z").unwrap(),
            ]),
        )]),
        ..Detail::default()
    });
    let settings = weighted(&[("L_D_Z", 100, 0.95, 0.05), ("F_L_D_S", 10, 0.95, 0.001)]);
    let twin = [rule_patient(None, &[(2, "F_L_D_S"), (1, "L_D_Z")])];
    let p = run_with(&settings, &twin, &s);
    assert_eq!(p.answers, [u(100)], "log2(19) + log2(0.05/0.999) < 0");
    assert_eq!(p.new_uuids, [u(100)]);
    assert_eq!(p.conflicts[0].candidates, [u(7), u(100)]);
    assert_eq!(p.patterns.get("F_L_D_S-,L_D_Z+"), Some(&1));
    // The same person with a new key the candidate never had: no evidence
    // against, so it links.
    let person = [rule_patient(None, &[(3, "F_L_D_C"), (1, "L_D_Z")])];
    assert_eq!(run_with(&settings, &person, &s).answers, [u(7)]);
    // A threshold the evidence does not reach refuses it too.
    let strict = Settings {
        link_threshold: 10.0,
        ..settings.clone()
    };
    assert_eq!(run_with(&strict, &person, &s).answers, [u(100)]);
}

#[test]
fn evidence_needs_no_detail_when_every_hash_agrees_with_one_candidate() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    bound(&mut s, 2, 7, false);
    let settings = weighted(&[("F_L_D_S", 10, 0.9, 0.1)]);
    let p = plan(&[patient(None, &[1, 2])], &s, &settings, &mut counter());
    assert!(!p.needs_detail);
    assert_eq!(p.answers, [u(7)]);
    assert_eq!(p.patterns.get("F_L_D_S+"), Some(&1));
}

#[test]
fn evidence_ties_go_to_the_rule_of_higher_priority() {
    let mut s = Snapshot::default();
    bound(&mut s, 1, 7, false);
    bound(&mut s, 2, 8, false);
    let settings = weighted(&[("A", 50, 0.9, 0.1), ("B", 5, 0.9, 0.1)]);
    let p = run_with(&settings, &[rule_patient(None, &[(1, "A"), (2, "B")])], &s);
    assert_eq!(p.answers, [u(8)]);
}
