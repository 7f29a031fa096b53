//! The user center's account use cases: self-registration, the mailed
//! single-use links (address verification, password reset; only their
//! SHA-256 is stored), and ending every session of a user. Answers do not
//! depend on whether an address is registered: the same page and about the
//! same work (one argon2id hash) either way.

use idmap_storage::{Database, StorageError};

use super::families;
use super::mailer::Mailer;
use crate::db::email_tokens::{self, EmailTokenRow};
use crate::db::users::{self as db_users, UserRow};
use crate::domain::opaque::{self, OpaqueToken};
use crate::domain::password_policy;
use crate::domain::user::{self, Email};
use idmap_common::clock::now_unix;

/// How long a verification link works.
pub const VERIFY_TTL: i64 = 2 * 86_400;
/// How long a password-reset link works.
pub const RESET_TTL: i64 = 30 * 60;

/// What a mailed link is for (the `purpose` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Verify,
    Reset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
        }
    }

    fn ttl(self) -> i64 {
        match self {
            Self::Verify => VERIFY_TTL,
            Self::Reset => RESET_TTL,
        }
    }
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Shown on the form as is.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("password hashing failed")]
    Hashing,
}

async fn hash(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || user::hash_password(&password))
        .await
        .map_err(|_| AccountError::Hashing)?
        .map_err(|_| AccountError::Hashing)
}

async fn find_by_email(db: &Database, email: &Email) -> Result<Option<UserRow>, StorageError> {
    let key = email.as_str().to_owned();
    db.run(move |c| Ok(db_users::find_by_email(c, &key)?)).await
}

/// Stores a new link for `user_id` and returns its plaintext.
pub async fn issue_link(
    db: &Database,
    user_id: &str,
    purpose: LinkPurpose,
) -> Result<String, StorageError> {
    let token = OpaqueToken::generate();
    let now = now_unix();
    let row = EmailTokenRow {
        token_hash: token.hash(),
        user_id: user_id.to_owned(),
        purpose: purpose.as_str().to_owned(),
        created_at: now,
        expires_at: now + purpose.ttl(),
        used_at: None,
    };
    db.transaction(move |c| Ok(email_tokens::insert(c, &row)?))
        .await?;
    Ok(token.expose().to_owned())
}

/// Mails the verification link to a user (mail failures are logged: the
/// user can ask for another link from their account page).
pub async fn send_verification(
    db: &Database,
    mailer: &Mailer,
    base: &str,
    user: &UserRow,
) -> Result<(), StorageError> {
    let token = issue_link(db, &user.id, LinkPurpose::Verify).await?;
    let body = format!(
        "Confirm your e-mail address for your idmap account by opening this link:\n\n\
         {base}/accounts/verify/?token={token}\n\n\
         The link works once, for 48 hours. If you did not create an account, ignore this message.\n"
    );
    if let Err(e) = mailer
        .send(&user.email, "Confirm your e-mail address", body)
        .await
    {
        tracing::warn!(error = %e, "cannot send the verification mail");
    }
    Ok(())
}

/// Registers `email` with `password`. An address already registered gets a
/// notice by mail instead, and the caller shows the same page either way.
pub async fn register(
    db: &Database,
    mailer: &Mailer,
    base: &str,
    email: &str,
    password: &str,
) -> Result<(), AccountError> {
    let email = Email::parse(email)
        .ok_or_else(|| AccountError::Invalid("Enter a valid e-mail address.".into()))?;
    password_policy::check(password, email.as_str()).map_err(AccountError::Invalid)?;
    // Hash before looking the address up, so both paths cost the same.
    let phc = hash(password).await?;
    if let Some(existing) = find_by_email(db, &email).await? {
        let body = format!(
            "Someone (perhaps you) tried to register an idmap account with this address, \
             which already has one.\n\nIf you forgot your password, reset it here:\n\n\
             {base}/accounts/password_reset/\n"
        );
        if let Err(e) = mailer
            .send(&existing.email, "You already have an account", body)
            .await
        {
            tracing::warn!(error = %e, "cannot send the already-registered notice");
        }
        return Ok(());
    }
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.as_str().to_owned(),
        password_hash: phc,
        email_verified: false,
        created_at: now_unix(),
        disabled: false,
        session_generation: 0,
    };
    let insert = row.clone();
    match db.run(move |c| Ok(db_users::insert(c, &insert)?)).await {
        // A concurrent registration of the same address: same answer.
        Err(e) if e.is_unique_violation() => return Ok(()),
        other => other?,
    }
    tracing::info!(user_id = %row.id, "user registered");
    send_verification(db, mailer, base, &row).await?;
    Ok(())
}

/// The user a live link of `purpose` belongs to, without spending it.
pub async fn peek_link(
    db: &Database,
    token: &str,
    purpose: LinkPurpose,
) -> Result<Option<String>, StorageError> {
    let h = opaque::hash(token);
    db.run(move |c| {
        Ok(email_tokens::find_live(c, &h, purpose.as_str(), now_unix())?.map(|r| r.user_id))
    })
    .await
}

/// Spends a verification link and marks the address verified.
pub async fn verify_email(db: &Database, token: &str) -> Result<bool, StorageError> {
    let h = opaque::hash(token);
    db.transaction(move |c| {
        let now = now_unix();
        let Some(row) = email_tokens::find_live(c, &h, LinkPurpose::Verify.as_str(), now)? else {
            return Ok(false);
        };
        if !email_tokens::mark_used(c, &h, now)? {
            return Ok(false);
        }
        db_users::set_verified(c, &row.user_id)?;
        Ok(true)
    })
    .await
}

/// Mails a reset link if the address is registered; silent otherwise.
pub async fn request_reset(
    db: &Database,
    mailer: &Mailer,
    base: &str,
    email: &str,
) -> Result<(), StorageError> {
    let Some(email) = Email::parse(email) else {
        return Ok(());
    };
    let Some(user) = find_by_email(db, &email).await?.filter(|u| !u.disabled) else {
        return Ok(());
    };
    let token = issue_link(db, &user.id, LinkPurpose::Reset).await?;
    let body = format!(
        "To choose a new password for your idmap account, open this link:\n\n\
         {base}/accounts/password_reset/confirm/?token={token}\n\n\
         The link works once, for 30 minutes. If you did not ask for it, ignore this message.\n"
    );
    if let Err(e) = mailer.send(&user.email, "Reset your password", body).await {
        tracing::warn!(error = %e, "cannot send the password-reset mail");
    }
    Ok(())
}

/// Spends a reset link and sets the new password; every session of the
/// user ends, every other open reset link is spent, and every refresh-token
/// family of the user is revoked (with the access tokens issued in them),
/// so a token stolen before the reset dies with it.
pub async fn reset_password(
    db: &Database,
    token: &str,
    password: &str,
) -> Result<bool, AccountError> {
    let Some(uid) = peek_link(db, token, LinkPurpose::Reset).await? else {
        return Ok(false);
    };
    let uid2 = uid.clone();
    let Some(user) = db.run(move |c| Ok(db_users::find(c, &uid2)?)).await? else {
        return Ok(false);
    };
    password_policy::check(password, &user.email).map_err(AccountError::Invalid)?;
    let phc = hash(password).await?;
    let h = opaque::hash(token);
    let done = db
        .transaction(move |c| {
            let now = now_unix();
            if !email_tokens::mark_used(c, &h, now)? {
                return Ok(false);
            }
            db_users::set_password(c, &uid, &phc)?;
            // Following the link proves the mailbox, too.
            db_users::set_verified(c, &uid)?;
            email_tokens::spend_all(c, &uid, LinkPurpose::Reset.as_str(), now)?;
            families::revoke_every_family_of(c, &uid, now)?;
            Ok(true)
        })
        .await?;
    if done {
        tracing::info!(user_id = %user.id, "password reset");
    }
    Ok(done)
}

/// Ends every session of a user (logout).
pub async fn end_sessions(db: &Database, user_id: &str) -> Result<(), StorageError> {
    let id = user_id.to_owned();
    db.run(move |c| Ok(db_users::bump_generation(c, &id)?))
        .await
}
