//! CLI normalization of a typical row (Python-compatible text folding, the
//! date, the race code) and the two hashes `idmap run` computes per row.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use idmap_cli::hasher::Hasher;
use idmap_cli::normalize::SlashOrder;
use idmap_cli::rules::{Field, NormalizedRow, Rule};
use secrecy::SecretSlice;

fn raw(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::First => "Jean-Luc",
        Field::Last => "Müller-Lüdenscheidt",
        Field::Dob => "03/14/1971",
        Field::Sex => "M",
        Field::Race => "4",
        Field::Zip => "30301",
        Field::City => "Saint-Étienne",
    })
}

fn normalize(c: &mut Criterion) {
    let hasher = Hasher::salted(SecretSlice::from(
        b"0123456789abcdef0123456789abcdef".to_vec(),
    ));
    let rules = [Rule::Flds, Rule::Fldz];
    let mut group = c.benchmark_group("cli row");
    group.throughput(Throughput::Elements(1));
    group.bench_function("normalize", |b| {
        b.iter(|| NormalizedRow::from_raw(black_box(raw), SlashOrder::MonthFirst))
    });
    group.bench_function("normalize + 2 rules hashed", |b| {
        b.iter(|| {
            let Ok(row) = NormalizedRow::from_raw(black_box(raw), SlashOrder::MonthFirst) else {
                return Vec::new();
            };
            rules
                .iter()
                .filter_map(|r| r.text(&row))
                .map(|t| hasher.hash(&t))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(benches, normalize);
criterion_main!(benches);
