//! The `idmap-server` binary: `serve` (the default) or `migrate`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use idmap_server::config::Settings;
use idmap_server::startup::{self, Application};
use idmap_server::telemetry;

#[derive(Parser)]
#[command(name = "idmap-server", version, about = "idmap resource server")]
struct Cli {
    /// TOML file with settings; environment variables override it.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref(), &Settings::env_from_process())
        .context("cannot load settings")?;
    telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await.context("server failed")?;
        }
        Command::Migrate => {
            let applied = startup::migrate(&settings).await?;
            tracing::info!(count = applied.len(), migrations = ?applied, "migrations applied");
        }
    }
    Ok(())
}
