//! `Sha256Hash::parse` of a 64-hex hash: the edge validation every
//! submitted hash goes through.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use idmap_common::Sha256Hash;

fn parse(c: &mut Criterion) {
    let lower = idmap_bench::data::hash(1, 42, 0).to_hex();
    let upper = lower.to_uppercase();
    let mut group = c.benchmark_group("Sha256Hash::parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function("64 hex lowercase", |b| {
        b.iter(|| Sha256Hash::parse(black_box(&lower)))
    });
    group.bench_function("64 hex uppercase", |b| {
        b.iter(|| Sha256Hash::parse(black_box(&upper)))
    });
    group.bench_function("bad length", |b| {
        b.iter(|| Sha256Hash::parse(black_box(&lower[..63])))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
