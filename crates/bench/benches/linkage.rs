//! The linkage decision (`idmap_server::domain::linkage::plan`) for a
//! request of 100 or 1,000 patients with two hashes each and a ref, half of
//! them already known (their bindings, ref and holding are in the snapshot,
//! as `db::link::load_snapshot` would load them).

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use idmap_bench::data;
use idmap_common::LinkUuid;
use idmap_common::ids::{PatientRef, RuleCode};
use idmap_server::domain::linkage::{Binding, Patient, Settings, Snapshot, plan};

#[expect(
    clippy::expect_used,
    reason = "benchmark setup aborts on bad fixed input"
)]
fn request(n: u64) -> (Vec<Patient>, Snapshot) {
    let seed = 7;
    let rules = data::RULES.map(|r| RuleCode::parse(r).expect("known rule code"));
    let mut snapshot = Snapshot::default();
    let mut patients = Vec::new();
    for j in 0..n {
        // Even positions: preloaded patients; odd: new ones.
        let i = if j.is_multiple_of(2) {
            j
        } else {
            1_000_000 + j
        };
        let r = PatientRef::parse(&data::patient_ref(i)).expect("valid ref");
        let hashes = vec![
            (data::hash(seed, i, 0), Some(rules[0].clone())),
            (data::hash(seed, i, 1), Some(rules[1].clone())),
        ];
        if j.is_multiple_of(2) {
            let uuid = data::uuid(seed, i);
            for (h, _) in &hashes {
                let binding = Binding {
                    uuid,
                    ambiguous: false,
                };
                snapshot.bindings.insert(*h, binding);
            }
            snapshot.refs.insert(r.clone(), uuid);
            snapshot.held.insert(uuid, HashSet::from([r.clone()]));
        }
        patients.push(Patient {
            patient_ref: Some(r),
            hashes,
        });
    }
    (patients, snapshot)
}

fn linkage(c: &mut Criterion) {
    let mut group = c.benchmark_group("linkage::plan half known");
    let settings = Settings::default();
    for n in [100u64, 1000] {
        let (patients, snapshot) = request(n);
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            let mut counter = 0u128;
            let mut fresh = move || {
                counter += 1;
                LinkUuid::from_bytes(counter.to_le_bytes())
            };
            b.iter(|| {
                plan(
                    black_box(&patients),
                    black_box(&snapshot),
                    &settings,
                    &mut fresh,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, linkage);
criterion_main!(benches);
