//! The admin subcommands: each opens the database (applying pending
//! migrations), runs one service call, and prints JSON on stdout.

use anyhow::Context;

use super::{
    AdminCommand, ClientCommand, EntitlementCommand, GroupCommand, KeysCommand, PartnerCommand,
    UserCommand,
};
use crate::config::Settings;
use crate::keys::{self, KeyStore};
use crate::services::clients::{self, NewClient};
use crate::services::entitlements::{self, Holder};
use crate::services::{client_secrets, groups, users};
use crate::startup::{load_secret_hasher, open_database};
use idmap_common::clock::now_unix;

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
                    owner: None,
                    homepage: None,
                },
            )
            .await?;
            serde_json::to_string(&created)?
        }
        AdminCommand::Client(ClientCommand::List) => {
            serde_json::to_string(&clients::list_clients(&db).await?)?
        }
        AdminCommand::Client(ClientCommand::RotateSecret {
            client_id,
            old_expires_in,
        }) => {
            let hasher = load_secret_hasher(settings).await?;
            serde_json::to_string(
                &client_secrets::rotate(&db, &hasher, &client_id, old_expires_in).await?,
            )?
        }
        AdminCommand::Client(ClientCommand::RetireSecret {
            client_id,
            secret_id,
        }) => {
            client_secrets::retire(&db, &client_id, &secret_id).await?;
            serde_json::to_string(&serde_json::json!({"retired": secret_id}))?
        }
        AdminCommand::Client(ClientCommand::Disable { client_id }) => {
            clients::disable_client(&db, &client_id).await?;
            serde_json::to_string(&serde_json::json!({"disabled": client_id}))?
        }
        AdminCommand::User(UserCommand::Add {
            email,
            password_file,
            verified,
        }) => {
            let password = read_password(password_file.as_deref())?;
            serde_json::to_string(&users::add_user(&db, &email, &password, verified).await?)?
        }
        AdminCommand::Group(GroupCommand::AddMember {
            partner,
            user,
            role,
        }) => serde_json::to_string(&groups::add_member(&db, &partner, &user, &role).await?)?,
        AdminCommand::Entitlement(EntitlementCommand::Grant {
            scope,
            user,
            partner,
        }) => {
            let holder = match (user, partner) {
                (Some(u), _) => Holder::User(u),
                (None, Some(p)) => Holder::Partner(p),
                (None, None) => anyhow::bail!("give --user or --partner"),
            };
            serde_json::to_string(&entitlements::grant(&db, holder, &scope).await?.0)?
        }
        AdminCommand::Entitlement(EntitlementCommand::Revoke { id }) => {
            entitlements::revoke(&db, &id).await?;
            serde_json::to_string(&serde_json::json!({"revoked": id}))?
        }
        AdminCommand::Entitlement(EntitlementCommand::List) => {
            serde_json::to_string(&entitlements::list(&db).await?)?
        }
        AdminCommand::User(UserCommand::List) => serde_json::to_string(&users::list(&db).await?)?,
        AdminCommand::User(UserCommand::Disable { id }) => {
            users::disable(&db, &id).await?;
            serde_json::to_string(&serde_json::json!({"disabled": id}))?
        }
        AdminCommand::Keys(KeysCommand::Rotate { now }) => {
            let delay = if now { 0 } else { settings.publication_delay() };
            let activates_at = now_unix().saturating_add(i64::try_from(delay).unwrap_or(0));
            let alg = settings.signing_alg;
            let views = with_keys(settings, move |dir, store| {
                keys::rotate(dir, alg, activates_at)?;
                store.reload()?;
                Ok(store.current().views(now_unix()))
            })
            .await?;
            serde_json::to_string(&views)?
        }
        AdminCommand::Keys(KeysCommand::List) => {
            let views =
                with_keys(settings, |_, store| Ok(store.current().views(now_unix()))).await?;
            serde_json::to_string(&views)?
        }
    };
    println!("{output}");
    Ok(())
}

/// Runs `f` on the signing-key directory and its loaded store, off the
/// async executor (the key files are read and written synchronously).
async fn with_keys<T: Send + 'static>(
    settings: &Settings,
    f: impl FnOnce(&std::path::Path, &KeyStore) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let (dir, alg, ttl) = (
        settings.signing_key_dir.clone(),
        settings.signing_alg,
        settings.access_token_ttl,
    );
    tokio::task::spawn_blocking(move || f(&dir, &KeyStore::load_with_ttl(&dir, alg, ttl)?))
        .await
        .context("key task failed")?
}

/// `migrate`: apply pending migrations and report them.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    open_database(settings)
        .await
        .context("migration failed")
        .map(|_| ())
}

/// The password of `admin user add`: the first line of a file or of stdin,
/// so it never shows in the process list or shell history.
fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from stdin")?;
            line
        }
    };
    let password = text.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given (stdin or --password-file)"
    );
    Ok(password)
}
