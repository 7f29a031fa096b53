//! Applications a user registers in the user center: OAuth clients owned by
//! that user, limited to the scopes `profile` and `groups` (an application
//! acting for its users may not hold operator scopes). Only a user whose
//! address is verified may register or change one, and its redirect URIs
//! follow `domain::redirect_uri`. A confidential application's secret is
//! returned once, at registration. Deleting one first revokes the live
//! access tokens issued to it, then deletes it (secrets, codes, tokens and
//! approvals cascade).

use std::sync::Arc;

use idmap_storage::{Database, StorageError};
use serde::Serialize;
use utoipa::ToSchema;

use super::clients::{self, AdminError, CreatedClient, NewClient, check_name, check_redirect_uris};
use crate::db::clients::{self as db_clients, ClientRow};
use crate::db::users::UserRow;
use crate::db::{now_unix, refresh_tokens, revoked_tokens};
use crate::domain::client_secret::SecretHasher;

/// The scopes every self-registered application gets.
pub const APPLICATION_SCOPE: &str = "profile groups";

/// An application as shown to its owner (never a secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationView {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub scope: String,
    pub redirect_uris: Vec<String>,
    pub created_at: i64,
}

impl From<ClientRow> for ApplicationView {
    fn from(r: ClientRow) -> Self {
        Self {
            name: r.name.unwrap_or_else(|| r.client_id.clone()),
            client_id: r.client_id,
            public: r.is_public,
            scope: r.scopes,
            redirect_uris: r.redirect_uris.lines().map(str::to_owned).collect(),
            created_at: r.created_at,
        }
    }
}

/// Splits the redirect URIs of a form (one per line or space-separated).
pub fn parse_redirect_uris(text: &str) -> Result<Vec<String>, AdminError> {
    let uris: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if uris.is_empty() {
        return Err(AdminError::Invalid("give at least one redirect URI".into()));
    }
    if uris.len() > 10 {
        return Err(AdminError::Invalid("at most 10 redirect URIs".into()));
    }
    Ok(uris)
}

/// Refuses an owner whose address is not verified: an application can
/// send people's browsers to its redirect URIs, so whoever registers one
/// must at least be reachable.
fn check_owner(owner: &UserRow) -> Result<(), AdminError> {
    if owner.email_verified {
        Ok(())
    } else {
        Err(AdminError::Forbidden(
            "Confirm your e-mail address before registering or changing applications.".into(),
        ))
    }
}

/// Registers an application owned by `owner`.
pub async fn register(
    db: &Database,
    hasher: &Arc<SecretHasher>,
    owner: &UserRow,
    name: &str,
    redirect_uris: Vec<String>,
    public: bool,
) -> Result<CreatedClient, AdminError> {
    check_owner(owner)?;
    clients::add_client(
        db,
        hasher,
        NewClient {
            partner: None,
            scope: APPLICATION_SCOPE.into(),
            name: Some(check_name(name)?),
            public,
            redirect_uris,
            owner: Some(owner.id.clone()),
        },
    )
    .await
}

/// The owner's applications.
pub async fn list(db: &Database, owner: &str) -> Result<Vec<ApplicationView>, StorageError> {
    let o = owner.to_owned();
    let rows = db.run(move |c| Ok(db_clients::list_owned(c, &o)?)).await?;
    Ok(rows.into_iter().map(ApplicationView::from).collect())
}

/// One application of the owner (`None` for others' and unknown ids alike).
pub async fn get(
    db: &Database,
    owner: &str,
    client_id: &str,
) -> Result<Option<ApplicationView>, StorageError> {
    let (o, id) = (owner.to_owned(), client_id.to_owned());
    let row = db
        .run(move |c| Ok(db_clients::find_owned(c, &o, &id)?))
        .await?;
    Ok(row.map(ApplicationView::from))
}

/// Changes name and redirect URIs; `Ok(false)` if not the owner's.
pub async fn update(
    db: &Database,
    owner: &UserRow,
    client_id: &str,
    name: &str,
    redirect_uris: Vec<String>,
) -> Result<bool, AdminError> {
    check_owner(owner)?;
    let name = check_name(name)?;
    let (o, id) = (owner.id.clone(), client_id.to_owned());
    db.transaction(move |c| {
        let Some(row) = db_clients::find_owned(c, &o, &id)? else {
            return Ok(Ok(false));
        };
        if let Err(e) = check_redirect_uris(&redirect_uris, row.is_public) {
            return Ok(Err(e));
        }
        let uris = redirect_uris.join("\n");
        Ok(Ok(db_clients::update_owned(c, &o, &id, &name, &uris)?))
    })
    .await?
}

/// Deletes an application after revoking its live access tokens.
pub async fn delete(db: &Database, owner: &str, client_id: &str) -> Result<bool, StorageError> {
    let (o, id) = (owner.to_owned(), client_id.to_owned());
    db.transaction(move |c| {
        if db_clients::find_owned(c, &o, &id)?.is_none() {
            return Ok(false);
        }
        let now = now_unix();
        for (jti, exp) in refresh_tokens::live_access_of_client(c, &id, now)? {
            revoked_tokens::revoke(c, &jti, exp, now)?;
        }
        Ok(db_clients::delete_owned(c, &o, &id)?)
    })
    .await
}
