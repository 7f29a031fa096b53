//! The admin subcommands: each opens the database (applying pending
//! migrations), runs one service call, and prints JSON on stdout.

use anyhow::Context;

use super::{AdminCommand, ClientCommand, PartnerCommand};
use crate::config::Settings;
use crate::services::clients::{self, NewClient};
use crate::startup::{load_secret_hasher, open_database};

/// Runs one admin command; errors are for stderr and a non-zero exit.
pub async fn run(settings: &Settings, command: AdminCommand) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    let output = match command {
        AdminCommand::Partner(PartnerCommand::Add { code, name }) => {
            serde_json::to_string(&clients::add_partner(&db, &code, &name).await?)?
        }
        AdminCommand::Partner(PartnerCommand::List) => {
            serde_json::to_string(&clients::list_partners(&db).await?)?
        }
        AdminCommand::Client(ClientCommand::Add {
            partner,
            scope,
            name,
            public,
            redirect_uri,
        }) => {
            let hasher = load_secret_hasher(settings).await?;
            let created = clients::add_client(
                &db,
                &hasher,
                NewClient {
                    partner,
                    scope,
                    name,
                    public,
                    redirect_uris: redirect_uri,
                },
            )
            .await?;
            serde_json::to_string(&created)?
        }
        AdminCommand::Client(ClientCommand::List) => {
            serde_json::to_string(&clients::list_clients(&db).await?)?
        }
    };
    println!("{output}");
    Ok(())
}

/// `migrate`: apply pending migrations and report them.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    open_database(settings)
        .await
        .context("migration failed")
        .map(|_| ())
}
