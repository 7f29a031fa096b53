//! Entry point: parse the command line, load settings once, dispatch.

use std::process::ExitCode;

use anyhow::Context;
use auth_server::cli::{Cli, Command, admin};
use auth_server::config::{ENV_VARS, Settings};
use auth_server::startup::Application;

fn main() -> ExitCode {
    idmap_web::serve::main(run(idmap_web::settings::parse_args(ENV_VARS, &["openapi"])))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if matches!(cli.command, Some(Command::Openapi)) {
        println!("{}", auth_server::openapi::document());
        return Ok(());
    }
    let settings: Settings = idmap_web::settings::load_from_process(cli.config.as_deref())?;
    let command = cli.command.unwrap_or(Command::Serve);
    let default_filter = match command {
        Command::Serve => "info",
        Command::Migrate | Command::Admin(_) | Command::Openapi => "warn",
    };
    idmap_web::logging::init(settings.log_format, default_filter);
    match command {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await.context("server failed")
        }
        Command::Migrate => admin::migrate(&settings).await,
        Command::Admin(cmd) => admin::run(&settings, cmd).await,
        Command::Openapi => Ok(()),
    }
}
