//! Secret rotation without downtime: a client may hold two live secrets.
//! `rotate` adds a new one (shown once) and optionally schedules the old
//! ones to expire; `retire` ends one at once. Only ids and times are ever
//! listed.

use std::sync::Arc;

use idmap_storage::Database;
use serde::Serialize;
use utoipa::ToSchema;

use super::clients::AdminError;
use crate::db::clients::{self as db_clients, SecretRow};
use crate::domain::client_secret::{ClientSecret, SecretHasher};
use idmap_common::clock::now_unix;

/// Most live secrets a client may hold (the old and the new during a rotation).
pub const MAX_LIVE_SECRETS: usize = 2;

/// The one-time answer to a rotation.
#[derive(Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    pub secret_id: String,
    pub client_secret: String,
}

/// Adds a new secret; the old ones stay valid, or expire after
/// `old_expires_in` seconds when given.
pub async fn rotate(
    db: &Database,
    hasher: &Arc<SecretHasher>,
    client_id: &str,
    old_expires_in: Option<u64>,
) -> Result<RotatedSecret, AdminError> {
    let secret = ClientSecret::generate();
    let now = now_unix();
    let secret_id = uuid::Uuid::new_v4();
    let row = SecretRow {
        secret_id: secret_id.as_bytes().to_vec(),
        client_id: client_id.to_owned(),
        secret_hash: hasher.hash(secret.expose()).0.to_vec(),
        created_at: now,
        expires_at: None,
    };
    let key = client_id.to_owned();
    let outcome = db
        .transaction(move |c| {
            let Some(client) = db_clients::find(c, &key)? else {
                return Ok(Err(AdminError::NotFound(format!("no client {key}"))));
            };
            if client.is_public {
                return Ok(Err(AdminError::Invalid(
                    "public clients have no secret".into(),
                )));
            }
            let live: Vec<SecretRow> = db_clients::secrets(c, &key)?
                .into_iter()
                .filter(|s| s.expires_at.is_none_or(|e| e > now))
                .collect();
            if live.len() >= MAX_LIVE_SECRETS {
                return Ok(Err(AdminError::Conflict(format!(
                    "client {key} already has {MAX_LIVE_SECRETS} live secrets; retire one first"
                ))));
            }
            if let Some(secs) = old_expires_in {
                let at = now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX / 4));
                for s in &live {
                    db_clients::expire_secret(c, &key, &s.secret_id, at)?;
                }
            }
            db_clients::add_secret(c, &row)?;
            Ok(Ok(()))
        })
        .await?;
    outcome?;
    tracing::info!(client_id, secret_id = %secret_id, "client secret rotated");
    Ok(RotatedSecret {
        client_id: client_id.to_owned(),
        secret_id: secret_id.to_string(),
        client_secret: secret.expose().to_owned(),
    })
}

/// Ends one secret now (it is kept, expired, for the record).
pub async fn retire(db: &Database, client_id: &str, secret_id: &str) -> Result<(), AdminError> {
    let id = uuid::Uuid::parse_str(secret_id)
        .map_err(|_| AdminError::Invalid("secret id must be a UUID".into()))?;
    let key = client_id.to_owned();
    let done = db
        .run(move |c| {
            Ok(db_clients::expire_secret(
                c,
                &key,
                id.as_bytes(),
                now_unix(),
            )?)
        })
        .await?;
    if done {
        tracing::info!(client_id, secret_id, "client secret retired");
        Ok(())
    } else {
        Err(AdminError::NotFound(format!(
            "client {client_id} has no secret {secret_id}"
        )))
    }
}

/// Deletes one secret.
pub async fn delete(db: &Database, client_id: &str, secret_id: &str) -> Result<(), AdminError> {
    let id = uuid::Uuid::parse_str(secret_id)
        .map_err(|_| AdminError::Invalid("secret id must be a UUID".into()))?;
    let key = client_id.to_owned();
    let done = db
        .run(move |c| Ok(db_clients::delete_secret(c, &key, id.as_bytes())?))
        .await?;
    if done {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!(
            "client {client_id} has no secret {secret_id}"
        )))
    }
}
