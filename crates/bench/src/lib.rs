//! idmap-bench: the load generator of the services and its parts, as a library
//! so that the criterion benches share the synthetic data and JWT helpers.
//! `scripts/bench.sh` drives the binary; `docs/benchmarks.md` explains the
//! figures.

pub mod data;
pub mod http;
pub mod jwt;
pub mod limits;
pub mod metadata;
pub mod preload;
pub mod procstat;
pub mod report;
pub mod scenarios;
