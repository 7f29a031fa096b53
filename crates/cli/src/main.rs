//! Entry point of the partner command line `idmap`: parses arguments, loads
//! the optional config file and hands over to one subcommand.

use clap::{Parser, Subcommand};
use idmap_cli::commands::hash::{self, HashArgs};
use idmap_cli::config::ConfigFile;
use std::path::PathBuf;
use std::process::ExitCode;

/// Partner command line of the idmap network: hashes identifying fields
/// locally, so that only salted hashes ever leave the site.
#[derive(Debug, Parser)]
#[command(name = "idmap", version, propagate_version = true)]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("idmap: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = match &cli.config {
        Some(path) => ConfigFile::load(path)?,
        None => ConfigFile::default(),
    };
    match cli.command {
        Command::Hash(args) => hash::run(args, &config),
    }
}
