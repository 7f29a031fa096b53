//! Users: creating them (admin CLI and API), checking a login, listing and
//! disabling. Password hashing runs on the blocking pool.

use idmap_storage::Database;
use serde::Serialize;
use utoipa::ToSchema;

use super::clients::AdminError;
use super::families;
use crate::db::users::{self as db_users, UserRow};
use crate::domain::user::{self, Email, MIN_PASSWORD_LEN};
use idmap_common::clock::now_unix;

/// A user as shown to an operator (never the hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: i64,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            email_verified: r.email_verified,
            disabled: r.disabled,
            created_at: r.created_at,
        }
    }
}

/// Creates a user with an argon2id hash of `password`.
pub async fn add_user(
    db: &Database,
    email: &str,
    password: &str,
    email_verified: bool,
) -> Result<UserView, AdminError> {
    let email =
        Email::parse(email).ok_or_else(|| AdminError::Invalid("not an email address".into()))?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AdminError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || user::hash_password(&password))
        .await
        .map_err(|e| AdminError::Invalid(format!("hashing failed: {e}")))?
        .map_err(|e| AdminError::Invalid(format!("hashing failed: {e}")))?;
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.as_str().to_owned(),
        password_hash: hash,
        email_verified,
        created_at: now_unix(),
        disabled: false,
        session_generation: 0,
    };
    let insert = row.clone();
    match db.run(move |c| Ok(db_users::insert(c, &insert)?)).await {
        Err(e) if e.is_unique_violation() => Err(AdminError::Conflict(format!(
            "a user with email {} already exists",
            row.email
        ))),
        other => other.map_err(AdminError::from),
    }?;
    Ok(row.into())
}

/// The user whose email and password match, if any and not disabled.
/// Unknown emails cost the same hashing work as wrong passwords.
pub async fn authenticate(
    db: &Database,
    email: &str,
    password: &str,
) -> Result<Option<UserRow>, AdminError> {
    let Some(email) = Email::parse(email) else {
        return Ok(None);
    };
    let key = email.as_str().to_owned();
    let found = db
        .run(move |c| Ok(db_users::find_by_email(c, &key)?))
        .await?;
    let password = password.to_owned();
    let phc = found.as_ref().map_or_else(
        || user::dummy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let ok = tokio::task::spawn_blocking(move || user::verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    Ok(found.filter(|u| ok && !u.disabled))
}

/// One user by id.
pub async fn find(db: &Database, id: &str) -> Result<Option<UserRow>, AdminError> {
    let id = id.to_owned();
    Ok(db.run(move |c| Ok(db_users::find(c, &id)?)).await?)
}

/// Every user.
pub async fn list(db: &Database) -> Result<Vec<UserView>, AdminError> {
    let rows = db.run(|c| Ok(db_users::list(c)?)).await?;
    Ok(rows.into_iter().map(UserView::from).collect())
}

/// Disables a user: no new logins or tokens, and every refresh-token
/// family of the user is revoked with the access tokens issued in them.
pub async fn disable(db: &Database, id: &str) -> Result<(), AdminError> {
    let key = id.to_owned();
    let found = db
        .transaction(move |c| {
            if !db_users::set_disabled(c, &key, true)? {
                return Ok(false);
            }
            families::revoke_every_family_of(c, &key, now_unix())?;
            Ok(true)
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no user {id}")))
    }
}
