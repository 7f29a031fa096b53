//! Command line of the `idmap-server` binary: `serve` (the default),
//! `migrate`, `import-legacy` (the older system's data;
//! docs/migrating-from-legacy.md) or `openapi`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Parser)]
#[command(name = "idmap-server", version, about = "idmap resource server")]
pub struct Cli {
    /// TOML file with settings; environment variables override it.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
pub struct ImportArgs {
    /// The older database, e.g. mysql://user:password@host:3306/idmap_old
    /// (or IDMAP_LEGACY_URL, which keeps the password out of `ps`).
    #[arg(long, env = "IDMAP_LEGACY_URL", hide_env_values = true)]
    pub from: String,
    #[arg(long, default_value = "linkage")]
    pub table: String,
    #[arg(long, default_value = "linkage_hash")]
    pub hash_column: String,
    #[arg(long, default_value = "linkage_uuid")]
    pub uuid_column: String,
    /// Partner column; default: the first of linkage_partner, partner_code,
    /// partner that exists.
    #[arg(long)]
    pub partner_column: Option<String>,
    /// Partner code for rows without one (or a table without the column).
    #[arg(long)]
    pub partner: Option<String>,
    /// Rows per batch (one transaction each).
    #[arg(long, default_value_t = 5000)]
    pub batch_size: usize,
}

/// Runs `import-legacy` on a migrated database.
pub async fn import_legacy(
    settings: &Settings,
    args: ImportArgs,
) -> anyhow::Result<crate::import::Summary> {
    let db = crate::startup::connect_and_migrate(settings).await?;
    let partner = args
        .partner
        .as_deref()
        .map(idmap_common::ids::PartnerCode::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--partner {e}"))?;
    let opts = crate::import::Options {
        table: args.table,
        hash_column: args.hash_column,
        uuid_column: args.uuid_column,
        partner_column: args.partner_column,
        partner,
        batch_size: args.batch_size,
    };
    let actor = crate::db::audit::Actor {
        client_id: "idmap-server import-legacy".into(),
        request_id: format!("import-{}", idmap_common::clock::now_unix()),
    };
    crate::import::import_legacy(args.from, &db, opts, actor)
        .await
        .context("legacy import failed")
}
