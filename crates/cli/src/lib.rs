//! The partner command line `idmap` as a library: normalization, rules,
//! network-defined keys and placeholder screening as pure functions, secret
//! handling, streaming input (decoded from UTF-16 when a spreadsheet wrote
//! it) and the hashing pipeline,
//! the network client (token, retries, link calls), the batching linker with
//! its resume journal, and progress reporting, so that each part is tested
//! on its own and the binary stays thin.
//!
//! PHI (names, birth dates and the other identifying fields) stays inside the
//! process: no error, log line or file other than the hash output carries it.

pub mod client;
pub mod codes;
pub mod commands;
pub mod config;
pub mod decode;
pub mod exit;
pub mod hasher;
pub mod hashfile;
pub mod input;
pub mod keys;
pub mod linker;
pub mod normalize;
pub mod pipeline;
pub mod progress;
pub mod resume;
pub mod rules;
pub mod screen;
pub mod secret;
pub mod source;
pub mod transform;
