//! The `idmap-server` binary: `serve` (the default), `migrate`, or
//! `import-legacy` (the older system's data; docs/migrating-from-legacy.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use idmap_server::config::{ENV_VARS, Settings};
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
    /// Import the older system's MySQL `linkage` table, keeping its UUIDs.
    ImportLegacy(ImportArgs),
    /// Print the OpenAPI document (as served at /openapi.json) and exit.
    Openapi,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The older database, e.g. mysql://user:password@host:3306/idmap_old
    /// (or IDMAP_LEGACY_URL, which keeps the password out of `ps`).
    #[arg(long, env = "IDMAP_LEGACY_URL", hide_env_values = true)]
    from: String,
    #[arg(long, default_value = "linkage")]
    table: String,
    #[arg(long, default_value = "linkage_hash")]
    hash_column: String,
    #[arg(long, default_value = "linkage_uuid")]
    uuid_column: String,
    /// Partner column; default: the first of linkage_partner, partner_code,
    /// partner that exists.
    #[arg(long)]
    partner_column: Option<String>,
    /// Partner code for rows without one (or a table without the column).
    #[arg(long)]
    partner: Option<String>,
    /// Rows per batch (one transaction each).
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
}

async fn import_legacy(
    settings: &Settings,
    args: ImportArgs,
) -> anyhow::Result<idmap_server::import::Summary> {
    let db = startup::connect_and_migrate(settings).await?;
    let partner = args
        .partner
        .as_deref()
        .map(idmap_common::ids::PartnerCode::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--partner {e}"))?;
    let opts = idmap_server::import::Options {
        table: args.table,
        hash_column: args.hash_column,
        uuid_column: args.uuid_column,
        partner_column: args.partner_column,
        partner,
        batch_size: args.batch_size,
    };
    let actor = idmap_server::db::audit::Actor {
        client_id: "idmap-server import-legacy".into(),
        request_id: format!("import-{}", idmap_common::clock::now_unix()),
    };
    idmap_server::import::import_legacy(args.from, &db, opts, actor)
        .await
        .context("legacy import failed")
}

fn main() -> ExitCode {
    // Before the runtime starts its threads.
    idmap_web::allocator::limit_arenas();
    let cmd = idmap_web::settings::with_help(Cli::command(), ENV_VARS, &["openapi"]);
    let cli = Cli::from_arg_matches(&cmd.get_matches()).unwrap_or_else(|e| e.exit());
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => idmap_web::report::exit_with(&e),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if matches!(cli.command, Some(Command::Openapi)) {
        println!("{}", idmap_server::openapi::document());
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref(), &Settings::env_from_process())?;
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
