//! One module per subcommand. Each takes its parsed arguments and the loaded
//! config file, and returns an `anyhow` error that `main` prints once (and
//! maps to an exit code, see `crate::exit`). `hash` and `rules` work
//! offline; `link` and `run` talk to the server. `options` and `session`
//! hold what they share.

pub mod hash;
pub mod link;
pub mod options;
pub mod rules;
pub mod run;
pub mod session;
