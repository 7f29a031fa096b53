//! Entry point of the partner command line `idmap`: parses arguments, loads
//! the optional config file, hands over to one subcommand and turns its
//! result into the documented exit code.

use clap::{Parser, Subcommand};
use idmap_cli::commands::hash::{self, HashArgs};
use idmap_cli::commands::link::{self, LinkCmdArgs};
use idmap_cli::commands::rules::{self, RulesArgs};
use idmap_cli::commands::run::{self, RunArgs};
use idmap_cli::config::ConfigFile;
use idmap_cli::exit::{self, Outcome};
use std::path::PathBuf;
use std::process::ExitCode;

/// Partner command line of the idmap network: hashes identifying fields
/// locally, so that only salted hashes ever leave the site, and links them
/// to the network's UUIDs.
#[derive(Debug, Parser)]
#[command(name = "idmap", version, propagate_version = true, after_help = exit::HELP)]
struct Cli {
    /// TOML config file; command-line options override it.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "IDMAP_CONFIG",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Normalize and hash a CSV/TSV of identifying fields, writing `ref` and one hash per rule.
    Hash(HashArgs),
    /// Send the output of `hash` to the server in batches and write `ref,uuid`.
    Link(LinkCmdArgs),
    /// Hash and link in one process, without a hash file.
    Run(Box<RunArgs>),
    /// Show what each rule hashes, in priority order; --json prints the
    /// server registration bodies of the network's keys.
    Rules(RulesArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // Usage errors are exit 1 (2 means "rows skipped" here).
            return if err.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match dispatch(cli) {
        Ok(outcome) => outcome.code(),
        Err(err) => {
            eprintln!("idmap: error: {}", exit::message(&err));
            if let Some(step) = err.downcast_ref::<exit::NextStep>() {
                eprintln!("idmap: next step: {step}");
            }
            ExitCode::from(exit::code_of(&err))
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<Outcome> {
    let config = match &cli.config {
        Some(path) => ConfigFile::load(path)?,
        None => ConfigFile::default(),
    };
    match cli.command {
        Command::Hash(args) => hash::run(args, &config).map(|()| Outcome::Complete),
        Command::Link(args) => link::run(args, &config),
        Command::Run(args) => run::run(*args, &config),
        Command::Rules(args) => rules::run(args, &config).map(|()| Outcome::Complete),
    }
}
