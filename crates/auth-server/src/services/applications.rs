//! Applications a user registers in the user center: OAuth clients owned by
//! that user, limited to the scopes `profile` and `groups` (an application
//! acting for its users may not hold operator scopes). Only a user whose
//! address is verified may register or change one, and its redirect URIs
//! follow `domain::redirect_uri`, its optional homepage `domain::homepage`.
//! The consent page shows who registered an application and its homepage
//! ([`publisher`]). A confidential application's secret is
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
use crate::db::{partners, refresh_tokens, revoked_tokens, users};
use crate::domain::client_secret::SecretHasher;
use crate::domain::homepage;
use idmap_common::clock::now_unix;

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
    /// Shown to users on the consent page.
    pub homepage: Option<String>,
    pub created_at: i64,
}

/// Who stands behind an application, as the consent page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Publisher {
    /// The registering user's address, the partner's name, or the operators.
    pub owner: String,
    pub homepage: Option<String>,
}

impl From<ClientRow> for ApplicationView {
    fn from(r: ClientRow) -> Self {
        Self {
            name: r.name.unwrap_or_else(|| r.client_id.clone()),
            client_id: r.client_id,
            public: r.is_public,
            scope: r.scopes,
            redirect_uris: r.redirect_uris.lines().map(str::to_owned).collect(),
            homepage: r.homepage,
            created_at: r.created_at,
        }
    }
}

/// The redirect URIs of a form field: one per line (blank lines and the
/// spaces around a URI ignored; a space inside one is refused by the check).
pub fn parse_redirect_uris(text: &str) -> Result<Vec<String>, AdminError> {
    redirect_uri_list(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Refuses an empty or overlong list of redirect URIs.
pub fn redirect_uri_list(uris: Vec<String>) -> Result<Vec<String>, AdminError> {
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

/// The homepage of a form or request (`None` when empty).
pub fn parse_homepage(text: Option<&str>) -> Result<Option<String>, AdminError> {
    homepage::parse(text.unwrap_or_default()).map_err(AdminError::Invalid)
}

/// What the user typed into the application form, checked.
#[derive(Debug, Clone)]
pub struct ApplicationInput {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub homepage: Option<String>,
}

/// Registers an application owned by `owner`.
pub async fn register(
    db: &Database,
    hasher: &Arc<SecretHasher>,
    owner: &UserRow,
    input: ApplicationInput,
    public: bool,
) -> Result<CreatedClient, AdminError> {
    check_owner(owner)?;
    clients::add_client(
        db,
        hasher,
        NewClient {
            partner: None,
            scope: APPLICATION_SCOPE.into(),
            name: Some(check_name(&input.name)?),
            public,
            redirect_uris: input.redirect_uris,
            owner: Some(owner.id.clone()),
            homepage: input.homepage,
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

/// Changes name, redirect URIs and homepage; `Ok(false)` if not the owner's.
pub async fn update(
    db: &Database,
    owner: &UserRow,
    client_id: &str,
    input: ApplicationInput,
) -> Result<bool, AdminError> {
    check_owner(owner)?;
    let name = check_name(&input.name)?;
    let (redirect_uris, homepage) = (input.redirect_uris, input.homepage);
    let (o, id) = (owner.id.clone(), client_id.to_owned());
    db.transaction(move |c| {
        let Some(row) = db_clients::find_owned(c, &o, &id)? else {
            return Ok(Ok(false));
        };
        if let Err(e) = check_redirect_uris(&redirect_uris, row.is_public) {
            return Ok(Err(e));
        }
        let uris = redirect_uris.join("\n");
        Ok(Ok(db_clients::update_owned(
            c,
            &o,
            &id,
            &name,
            &uris,
            homepage.as_deref(),
        )?))
    })
    .await?
}

/// Who registered the client and its homepage, for the consent page
/// (`None` for an unknown client).
pub async fn publisher(db: &Database, client_id: &str) -> Result<Option<Publisher>, StorageError> {
    let id = client_id.to_owned();
    db.run(move |c| {
        let Some(row) = db_clients::find(c, &id)? else {
            return Ok(None);
        };
        let owner = match (&row.owner_user_id, &row.partner_code) {
            (Some(user), _) => users::find(c, user)?.map(|u| u.email),
            (None, Some(code)) => partners::name_of(c, code)?,
            (None, None) => None,
        };
        Ok(Some(Publisher {
            owner: owner.unwrap_or_else(|| OPERATORS.to_owned()),
            homepage: row.homepage,
        }))
    })
    .await
}

/// The owner shown for a client an operator registered for no partner.
const OPERATORS: &str = "the operators of this service";

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
