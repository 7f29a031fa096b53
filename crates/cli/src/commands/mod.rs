//! One module per subcommand. Each takes its parsed arguments and the loaded
//! config file, and returns an `anyhow` error that `main` prints once.
//! `hash` works offline; the subcommands that talk to the server come later.

pub mod hash;
