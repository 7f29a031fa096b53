//! Registering and listing partners and clients: the admin CLI's use cases
//! (and, later, the admin API's). A client secret is generated here and
//! returned once; only its hash is stored.

use std::sync::Arc;

use idmap_common::ids::PartnerCode;
use idmap_storage::{Database, StorageError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::clients::{self as db_clients, ClientRow, SecretRow};
use crate::db::partners::{self as db_partners, PartnerRow};
use crate::domain::client::{ClientId, ClientKind};
use crate::domain::client_secret::{ClientSecret, SecretHasher};
use crate::domain::redirect_uri;
use crate::domain::scopes::{Scope, ScopeSet};
use idmap_common::clock::now_unix;

/// Why an admin operation failed; the message is meant for the operator.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this (yet).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A partner as listed to an operator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerView {
    pub code: String,
    pub name: String,
    pub created_at: i64,
}

/// A client as listed to an operator (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub name: Option<String>,
    pub partner: Option<String>,
    pub scope: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub disabled: bool,
    pub created_at: i64,
    /// Ids and times of the client's secrets (never the secrets).
    pub secrets: Vec<SecretView>,
}

/// A secret as listed: its id and times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SecretView {
    pub secret_id: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl From<&SecretRow> for SecretView {
    fn from(r: &SecretRow) -> Self {
        Self {
            secret_id: uuid::Uuid::from_slice(&r.secret_id)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| hex_string(&r.secret_id)),
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the operator asked for when adding a client; the default is
/// confidential, unnamed, without redirect URIs or owner.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub partner: Option<String>,
    pub scope: String,
    pub name: Option<String>,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    /// The user registering it in the user center, if not an operator.
    pub owner: Option<String>,
    /// Checked by `domain::homepage` before it gets here.
    pub homepage: Option<String>,
}

impl NewClient {
    /// A confidential client of `partner` for machine calls (client
    /// credentials).
    pub fn confidential(partner: Option<&str>, scope: &str) -> Self {
        Self {
            partner: partner.map(str::to_owned),
            scope: scope.to_owned(),
            ..Self::default()
        }
    }
}

/// The one-time answer to adding a client: `client_secret` is null for public clients.
#[derive(Serialize, ToSchema)]
pub struct CreatedClient {
    pub client_id: String,
    pub client_secret: Option<String>,
}

pub(crate) fn check_name(name: &str) -> Result<String, AdminError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "name must be 1 to 200 printable characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Checks redirect URIs against the rules of [`redirect_uri::check`] for a
/// client that is public or not.
pub(crate) fn check_redirect_uris(uris: &[String], public: bool) -> Result<(), AdminError> {
    let kind = if public {
        ClientKind::Public
    } else {
        ClientKind::Confidential
    };
    uris.iter()
        .try_for_each(|u| redirect_uri::check(u, kind))
        .map_err(AdminError::Invalid)
}

/// Registers a partner.
pub async fn add_partner(db: &Database, code: &str, name: &str) -> Result<PartnerView, AdminError> {
    let code =
        PartnerCode::parse(code).map_err(|e| AdminError::Invalid(format!("partner code {e}")))?;
    let row = PartnerRow {
        code: code.as_str().to_owned(),
        name: check_name(name)?,
        created_at: now_unix(),
    };
    let insert = row.clone();
    match db
        .run(move |conn| Ok(db_partners::insert(conn, &insert)?))
        .await
    {
        Err(e) if e.is_unique_violation() => Err(AdminError::Conflict(format!(
            "partner {} already exists",
            row.code
        ))),
        other => other.map_err(AdminError::from),
    }?;
    Ok(PartnerView {
        code: row.code,
        name: row.name,
        created_at: row.created_at,
    })
}

/// Registers a client; confidential clients get a generated secret.
pub async fn add_client(
    db: &Database,
    hasher: &Arc<SecretHasher>,
    new: NewClient,
) -> Result<CreatedClient, AdminError> {
    let scopes = ScopeSet::parse(&new.scope).map_err(|e| {
        let known: Vec<&str> = Scope::ALL.into_iter().map(Scope::as_str).collect();
        AdminError::Invalid(format!("scope: {e} (known: {})", known.join(" ")))
    })?;
    let partner = new
        .partner
        .as_deref()
        .map(PartnerCode::parse)
        .transpose()
        .map_err(|e| AdminError::Invalid(format!("partner code {e}")))?;
    let name = new.name.as_deref().map(check_name).transpose()?;
    if new.public && new.redirect_uris.is_empty() {
        return Err(AdminError::Invalid(
            "a public client needs --redirect-uri".into(),
        ));
    }
    check_redirect_uris(&new.redirect_uris, new.public)?;
    let redirect_uris = new.redirect_uris.clone();

    let client_id = ClientId::generate();
    let now = now_unix();
    let secret = (!new.public).then(ClientSecret::generate);
    let row = ClientRow {
        client_id: client_id.as_str().to_owned(),
        name,
        partner_code: partner.as_ref().map(|p| p.as_str().to_owned()),
        scopes: scopes.to_string(),
        is_public: new.public,
        redirect_uris: redirect_uris.join("\n"),
        disabled: false,
        created_at: now,
        owner_user_id: new.owner.clone(),
        homepage: new.homepage.clone(),
    };
    let secrets: Vec<SecretRow> = secret
        .iter()
        .map(|s| SecretRow {
            secret_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
            client_id: row.client_id.clone(),
            secret_hash: hasher.hash(s.expose()).0.to_vec(),
            created_at: now,
            expires_at: None,
        })
        .collect();

    let partner_code = row.partner_code.clone();
    let found_partner = db
        .transaction(move |conn| {
            if let Some(code) = &partner_code
                && !db_partners::exists(conn, code)?
            {
                return Ok(false);
            }
            db_clients::insert(conn, &row, &secrets)?;
            Ok(true)
        })
        .await?;
    if !found_partner {
        return Err(AdminError::NotFound(format!(
            "unknown partner {}; add it first with `admin partner add`",
            new.partner.unwrap_or_default()
        )));
    }
    Ok(CreatedClient {
        client_id: client_id.as_str().to_owned(),
        client_secret: secret.map(|s| s.expose().to_owned()),
    })
}

/// Every partner, by code.
pub async fn list_partners(db: &Database) -> Result<Vec<PartnerView>, AdminError> {
    let rows = db.run(|conn| Ok(db_partners::list(conn)?)).await?;
    Ok(rows
        .into_iter()
        .map(|r| PartnerView {
            code: r.code,
            name: r.name,
            created_at: r.created_at,
        })
        .collect())
}

/// Every client, oldest first, without secrets.
pub async fn list_clients(db: &Database) -> Result<Vec<ClientView>, AdminError> {
    let rows = db
        .run(|conn| {
            let clients = db_clients::list(conn)?;
            let mut out = Vec::with_capacity(clients.len());
            for c in clients {
                let secrets = db_clients::secrets(conn, &c.client_id)?;
                out.push((c, secrets));
            }
            Ok(out)
        })
        .await?;
    Ok(rows.into_iter().map(|(r, s)| view(r, s)).collect())
}

/// One client, without secrets.
pub async fn get_client(db: &Database, client_id: &str) -> Result<ClientView, AdminError> {
    let key = client_id.to_owned();
    let found = db
        .run(move |conn| {
            let Some(c) = db_clients::find(conn, &key)? else {
                return Ok(None);
            };
            let secrets = db_clients::secrets(conn, &key)?;
            Ok(Some((c, secrets)))
        })
        .await?;
    found
        .map(|(r, s)| view(r, s))
        .ok_or_else(|| AdminError::NotFound(format!("no client {client_id}")))
}

/// Disables a client: no more tokens, introspection or revocation for it.
pub async fn disable_client(db: &Database, client_id: &str) -> Result<(), AdminError> {
    let key = client_id.to_owned();
    if db
        .run(move |c| Ok(db_clients::set_disabled(c, &key, true)?))
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no client {client_id}")))
    }
}

fn view(r: ClientRow, secrets: Vec<SecretRow>) -> ClientView {
    ClientView {
        client_id: r.client_id,
        name: r.name,
        partner: r.partner_code,
        scope: r.scopes,
        public: r.is_public,
        redirect_uris: r.redirect_uris.lines().map(str::to_owned).collect(),
        disabled: r.disabled,
        created_at: r.created_at,
        secrets: secrets.iter().map(SecretView::from).collect(),
    }
}
