//! Recognizes a request the registry already holds in full, such as a
//! retry: every patient with a ref has that ref stored with every hash bound
//! to its UUID, and every patient without one has all its hashes bound,
//! unambiguously, to one UUID. Such a request changes nothing under any of
//! the linkage rules, so it can be answered from a read alone: retries then
//! succeed while the database cannot write. Anything else is left to
//! [`super::linkage::plan`].

use idmap_common::LinkUuid;

use super::linkage::{Patient, Snapshot};

/// The answer of each patient when the registry holds them all; `None` when
/// linking any of them could store something.
pub fn answers(patients: &[Patient], snapshot: &Snapshot) -> Option<Vec<LinkUuid>> {
    patients.iter().map(|p| answer(p, snapshot)).collect()
}

fn answer(patient: &Patient, snapshot: &Snapshot) -> Option<LinkUuid> {
    let bound = |hash| snapshot.bindings.get(hash);
    if let Some(r) = &patient.patient_ref {
        let known = *snapshot.refs.get(r)?;
        let all_bound = patient
            .hashes
            .iter()
            .all(|(h, _)| bound(h).is_some_and(|b| b.uuid == known));
        return all_bound.then_some(known);
    }
    let mut uuid = None;
    for (h, _) in &patient.hashes {
        let b = bound(h)?;
        if b.ambiguous || uuid.is_some_and(|u| u != b.uuid) {
            return None;
        }
        uuid = Some(b.uuid);
    }
    uuid
}

#[cfg(test)]
mod tests {
    use idmap_common::Sha256Hash;
    use idmap_common::ids::{PatientRef, RuleCode};

    use super::*;
    use crate::domain::linkage::{self, Binding, Plan, SamePartnerPolicy, Settings};

    fn h(n: u8) -> Sha256Hash {
        Sha256Hash::from_bytes([n; 32])
    }

    fn u(n: u8) -> LinkUuid {
        LinkUuid::from_bytes([n; 16])
    }

    fn patient(r: Option<&str>, hashes: &[u8]) -> Patient {
        Patient {
            patient_ref: r.map(|r| PatientRef::parse(r).unwrap()),
            hashes: hashes
                .iter()
                .map(|&n| (h(n), Some(RuleCode::parse("F_L_D_S").unwrap())))
                .collect(),
        }
    }

    /// Hashes 1 and 2 bound to UUID 1 (ref "a"), 3 to UUID 2 (ref "b"),
    /// 4 ambiguous on UUID 2, 5 bound to UUID 3 without a ref.
    fn registry() -> Snapshot {
        let mut s = Snapshot::default();
        for (hash, uuid, ambiguous) in [
            (1, 1, false),
            (2, 1, false),
            (3, 2, false),
            (4, 2, true),
            (5, 3, false),
        ] {
            s.bindings.insert(
                h(hash),
                Binding {
                    uuid: u(uuid),
                    ambiguous,
                },
            );
        }
        s.refs.insert(PatientRef::parse("a").unwrap(), u(1));
        s.refs.insert(PatientRef::parse("b").unwrap(), u(2));
        s
    }

    /// The write path would store nothing for these patients and answer
    /// the same, whatever the within-partner policy.
    fn agrees_with_the_rules(patients: &[Patient], snapshot: &Snapshot, expected: &[LinkUuid]) {
        for policy in [
            SamePartnerPolicy::Ambiguous,
            SamePartnerPolicy::Separate,
            SamePartnerPolicy::Link,
            SamePartnerPolicy::Evidence,
        ] {
            let settings = Settings {
                policy,
                ..Settings::default()
            };
            let plan = linkage::plan(patients, snapshot, &settings, &mut || u(200));
            assert_eq!(plan.answers, expected, "{policy:?}");
            // Agreement counts are left out: a request answered from the
            // registry adds no comparison, so a retry never counts twice.
            let nothing = Plan {
                answers: plan.answers.clone(),
                patterns: plan.patterns.clone(),
                ..Plan::default()
            };
            assert_eq!(
                plan, nothing,
                "the rules would write for a stored request under {policy:?}"
            );
        }
    }

    #[test]
    fn a_request_the_registry_holds_is_answered_as_the_rules_would() {
        let s = registry();
        let patients = [
            patient(Some("a"), &[1, 2]),
            patient(Some("b"), &[3, 4]),
            patient(None, &[1, 2]),
            patient(None, &[5]),
            patient(Some("a"), &[2]),
        ];
        let answers = answers(&patients, &s).unwrap();
        assert_eq!(answers, [u(1), u(2), u(1), u(3), u(1)]);
        agrees_with_the_rules(&patients, &s, &answers);
    }

    #[test]
    fn anything_the_rules_could_store_is_left_to_them() {
        let s = registry();
        for p in [
            // A new ref, a new hash, a hash of another UUID.
            patient(Some("c"), &[1]),
            patient(Some("a"), &[1, 9]),
            patient(Some("a"), &[1, 3]),
            // Without a ref: unbound, ambiguous, or two UUIDs.
            patient(None, &[1, 9]),
            patient(None, &[4]),
            patient(None, &[1, 3]),
            patient(None, &[]),
        ] {
            assert_eq!(
                answers(&[patient(Some("a"), &[1]), p.clone()], &s),
                None,
                "{p:?}"
            );
        }
    }
}
