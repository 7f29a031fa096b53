//! The partner command line `idmap` as a library: normalization and rules as
//! pure functions, secret handling, streaming input and the hashing pipeline,
//! so that each part is tested on its own and the binary stays thin.
//!
//! PHI (names, birth dates and the other identifying fields) stays inside the
//! process: no error, log line or file other than the hash output carries it.

pub mod commands;
pub mod config;
pub mod hasher;
pub mod input;
pub mod normalize;
pub mod pipeline;
pub mod rules;
pub mod secret;
