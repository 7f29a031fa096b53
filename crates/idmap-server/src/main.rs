//! Entry point: parse the command line, load settings once, dispatch.

use std::process::ExitCode;

use anyhow::Context;
use idmap_server::cli::{Cli, Command, import_legacy};
use idmap_server::config::{ENV_VARS, Settings};
use idmap_server::startup::{self, Application};
use idmap_server::telemetry;

fn main() -> ExitCode {
    idmap_web::serve::main(run(idmap_web::settings::parse_args(ENV_VARS, &["openapi"])))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if matches!(cli.command, Some(Command::Openapi)) {
        println!("{}", idmap_server::openapi::document());
        return Ok(());
    }
    let settings: Settings = idmap_web::settings::load_from_process(cli.config.as_deref())?;
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
        Command::ImportLegacy(args) => {
            let summary = import_legacy(&settings, args).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Openapi => {}
    }
    Ok(())
}
