//! The `idmap-bench` binary: `preload`, `run` (scenarios), `limits`
//! (physical-limit companions) and `report` (the table). Every figure is
//! appended as a JSON line to the results file; `report` prints the table.

mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = cli::Args::parse();
    cli::execute(args).await
}
