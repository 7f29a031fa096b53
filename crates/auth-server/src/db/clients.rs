//! The client aggregate: the `clients` row and its `client_secrets` rows.

use diesel::prelude::*;
use idmap_common::ids::PartnerCode;
use idmap_storage::DbConnection;

use super::credentials_written;
use super::schema::{client_secrets, clients};
use crate::domain::client::{Client, ClientId, ClientKind};
use crate::domain::client_secret::SecretHash;
use crate::domain::scopes::ScopeSet;

/// One stored client.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub client_id: String,
    pub name: Option<String>,
    pub partner_code: Option<String>,
    pub scopes: String,
    pub is_public: bool,
    pub redirect_uris: String,
    pub disabled: bool,
    pub created_at: i64,
    /// The user who registered it in the user center (`None`: an operator).
    pub owner_user_id: Option<String>,
    /// Shown on the consent page (checked by `domain::homepage`).
    pub homepage: Option<String>,
}

/// A stored client that does not make a domain client: our bug or damaged
/// data, never the caller's.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CorruptClient(pub String);

impl ClientRow {
    /// The domain client, with the hashes of its live secrets.
    pub fn into_client(self, hashes: Vec<Vec<u8>>) -> Result<Client, CorruptClient> {
        let corrupt = |what: &str| CorruptClient(format!("client {}: {what}", self.client_id));
        let id = ClientId::parse(&self.client_id).ok_or_else(|| corrupt("bad id"))?;
        let scopes = ScopeSet::parse(&self.scopes).map_err(|_| corrupt("bad scopes"))?;
        let partner = self
            .partner_code
            .as_deref()
            .map(PartnerCode::parse)
            .transpose()
            .map_err(|_| corrupt("bad partner code"))?;
        let secret_hashes = hashes
            .into_iter()
            .map(|h| <[u8; 32]>::try_from(h.as_slice()).map(SecretHash))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| corrupt("bad secret hash"))?;
        Ok(Client {
            id,
            name: self.name,
            partner,
            scopes,
            kind: if self.is_public {
                ClientKind::Public
            } else {
                ClientKind::Confidential
            },
            redirect_uris: self.redirect_uris.lines().map(str::to_owned).collect(),
            disabled: self.disabled,
            secret_hashes,
            owner: self.owner_user_id,
        })
    }
}

/// One stored secret hash of a client.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_secrets)]
pub struct SecretRow {
    pub secret_id: Vec<u8>,
    pub client_id: String,
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Inserts a client with its secrets (call inside a transaction).
pub fn insert(
    conn: &mut DbConnection,
    client: &ClientRow,
    secrets: &[SecretRow],
) -> QueryResult<()> {
    credentials_written();
    diesel::insert_into(clients::table)
        .values(client)
        .execute(conn)?;
    // One statement per secret: there are one or two, and batch inserts
    // differ between backends.
    for secret in secrets {
        diesel::insert_into(client_secrets::table)
            .values(secret)
            .execute(conn)?;
    }
    Ok(())
}

/// A client and the hashes of its secrets still valid at `now`.
pub fn find_with_secrets(
    conn: &mut DbConnection,
    client_id: &str,
    now: i64,
) -> QueryResult<Option<(ClientRow, Vec<Vec<u8>>)>> {
    let Some(client) = clients::table
        .filter(clients::client_id.eq(client_id))
        .select(ClientRow::as_select())
        .get_result(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let hashes = client_secrets::table
        .filter(client_secrets::client_id.eq(client_id))
        .filter(
            client_secrets::expires_at
                .is_null()
                .or(client_secrets::expires_at.gt(now)),
        )
        .select(client_secrets::secret_hash)
        .load::<Vec<u8>>(conn)?;
    Ok(Some((client, hashes)))
}

/// Every client, by creation time (no secrets).
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<ClientRow>> {
    clients::table
        .order((clients::created_at.asc(), clients::client_id.asc()))
        .select(ClientRow::as_select())
        .load(conn)
}

/// One client, secrets aside.
pub fn find(conn: &mut DbConnection, client_id: &str) -> QueryResult<Option<ClientRow>> {
    clients::table
        .filter(clients::client_id.eq(client_id))
        .select(ClientRow::as_select())
        .get_result(conn)
        .optional()
}

/// Sets the disabled flag; returns whether the client exists.
pub fn set_disabled(conn: &mut DbConnection, client_id: &str, disabled: bool) -> QueryResult<bool> {
    credentials_written();
    diesel::update(clients::table.filter(clients::client_id.eq(client_id)))
        .set(clients::disabled.eq(disabled))
        .execute(conn)
        .map(|n| n > 0)
}

/// The secret rows of a client (hashes included; callers never show them).
pub fn secrets(conn: &mut DbConnection, client_id: &str) -> QueryResult<Vec<SecretRow>> {
    client_secrets::table
        .filter(client_secrets::client_id.eq(client_id))
        .order(client_secrets::created_at.asc())
        .select(SecretRow::as_select())
        .load(conn)
}

/// Adds one secret row.
pub fn add_secret(conn: &mut DbConnection, secret: &SecretRow) -> QueryResult<()> {
    credentials_written();
    diesel::insert_into(client_secrets::table)
        .values(secret)
        .execute(conn)
        .map(|_| ())
}

/// Sets when a secret stops working (`now` retires it at once).
pub fn expire_secret(
    conn: &mut DbConnection,
    client_id: &str,
    secret_id: &[u8],
    expires_at: i64,
) -> QueryResult<bool> {
    credentials_written();
    diesel::update(
        client_secrets::table
            .filter(client_secrets::client_id.eq(client_id))
            .filter(client_secrets::secret_id.eq(secret_id)),
    )
    .set(client_secrets::expires_at.eq(expires_at))
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes a secret.
pub fn delete_secret(
    conn: &mut DbConnection,
    client_id: &str,
    secret_id: &[u8],
) -> QueryResult<bool> {
    credentials_written();
    diesel::delete(
        client_secrets::table
            .filter(client_secrets::client_id.eq(client_id))
            .filter(client_secrets::secret_id.eq(secret_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// The clients a user registered, oldest first.
pub fn list_owned(conn: &mut DbConnection, owner: &str) -> QueryResult<Vec<ClientRow>> {
    clients::table
        .filter(clients::owner_user_id.eq(owner))
        .order((clients::created_at.asc(), clients::client_id.asc()))
        .select(ClientRow::as_select())
        .load(conn)
}

/// One client of this owner (`None` also when someone else owns it).
pub fn find_owned(
    conn: &mut DbConnection,
    owner: &str,
    client_id: &str,
) -> QueryResult<Option<ClientRow>> {
    clients::table
        .filter(clients::owner_user_id.eq(owner))
        .filter(clients::client_id.eq(client_id))
        .select(ClientRow::as_select())
        .get_result(conn)
        .optional()
}

/// Changes the name, redirect URIs and homepage of an owned client.
pub fn update_owned(
    conn: &mut DbConnection,
    owner: &str,
    client_id: &str,
    name: &str,
    redirect_uris: &str,
    homepage: Option<&str>,
) -> QueryResult<bool> {
    credentials_written();
    diesel::update(
        clients::table
            .filter(clients::owner_user_id.eq(owner))
            .filter(clients::client_id.eq(client_id)),
    )
    .set((
        clients::name.eq(name),
        clients::redirect_uris.eq(redirect_uris),
        clients::homepage.eq(homepage),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes an owned client (its secrets, codes, tokens and consents cascade).
pub fn delete_owned(conn: &mut DbConnection, owner: &str, client_id: &str) -> QueryResult<bool> {
    credentials_written();
    diesel::delete(
        clients::table
            .filter(clients::owner_user_id.eq(owner))
            .filter(clients::client_id.eq(client_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
