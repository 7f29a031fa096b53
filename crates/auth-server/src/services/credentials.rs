//! Clients, their secrets and the revoked access tokens, held in memory so
//! that the token endpoint and introspection answer without a trip to the
//! database. Every replica reloads the whole set every [`REFRESH_EVERY`];
//! a snapshot whose load began more than [`STALE_AFTER`] ago is never
//! used (the request reloads it first), so a change committed by any
//! replica or the CLI (a client disabled, a secret rotated or retired, a
//! token revoked) holds on every replica for every request that arrives
//! [`STALE_AFTER`] after the commit. Writes of this process apply at its
//! next request. A client the snapshot does not know (registered since) is
//! read from the database.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use idmap_storage::{Database, DbConnection, StorageError};

use crate::db::clients::{self as db_clients, ClientRow};
use crate::db::credential_writes;
use crate::db::schema::{client_secrets, clients, revoked_tokens};
use idmap_common::clock::now_unix;

/// How often the background task reloads the snapshot.
pub const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Oldest snapshot an answer may come from: the staleness bound.
pub const STALE_AFTER: Duration = Duration::from_secs(2);

/// A secret hash and when it stops working (`None`: never).
type Secret = (Vec<u8>, Option<i64>);

/// One client with its secrets.
#[derive(Debug, Clone)]
struct Entry {
    row: ClientRow,
    secrets: Vec<Secret>,
}

#[derive(Debug, Default)]
struct Snapshot {
    clients: HashMap<String, Arc<Entry>>,
    revoked: HashSet<String>,
    /// When its load began; `None` before the first load.
    loaded: Option<Instant>,
    /// The count of this process's writes that it reflects.
    local_writes: u64,
}

impl Snapshot {
    fn usable(&self) -> bool {
        self.loaded.is_some_and(|t| t.elapsed() < STALE_AFTER)
            && self.local_writes == credential_writes()
    }
}

/// The shared snapshot; cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    db: Database,
    current: Arc<RwLock<Arc<Snapshot>>>,
    /// One reload at a time: requests that find the snapshot unusable
    /// wait for the reload under way instead of each starting one.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

impl Credentials {
    /// An empty snapshot, loaded by the first request or poll.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            current: Arc::new(RwLock::new(Arc::new(Snapshot::default()))),
            reloading: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// A client and the hashes of its secrets still valid now.
    pub async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<(ClientRow, Vec<Vec<u8>>)>, StorageError> {
        let snapshot = self.usable().await?;
        let Some(entry) = snapshot.clients.get(client_id) else {
            let key = client_id.to_owned();
            let now = now_unix();
            return self
                .db
                .run(move |c| Ok(db_clients::find_with_secrets(c, &key, now)?))
                .await;
        };
        let now = now_unix();
        let live = entry
            .secrets
            .iter()
            .filter(|(_, expires)| expires.is_none_or(|e| e > now))
            .map(|(hash, _)| hash.clone())
            .collect();
        Ok(Some((entry.row.clone(), live)))
    }

    /// Whether an access token's `jti` was revoked.
    pub async fn is_revoked(&self, jti: &str) -> Result<bool, StorageError> {
        Ok(self.usable().await?.revoked.contains(jti))
    }

    /// Reloads the snapshot every [`REFRESH_EVERY`] until the task is
    /// aborted; a failed reload is logged and retried at the next tick
    /// (requests meanwhile reload themselves once the bound passes).
    pub fn spawn_refresh(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let _one = this.reloading.lock().await;
                if let Err(e) = this.reload(false).await {
                    tracing::warn!(error = %e, "cannot reload clients and revocations");
                }
            }
        })
    }

    fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn usable(&self) -> Result<Arc<Snapshot>, StorageError> {
        let snapshot = self.current();
        if snapshot.usable() {
            return Ok(snapshot);
        }
        let _one = self.reloading.lock().await;
        let snapshot = self.current();
        if snapshot.usable() {
            return Ok(snapshot);
        }
        self.reload(true).await
    }

    /// Loads everything afresh. Only a reload a request asked for claims
    /// this process's writes: the poll may run between a local write and
    /// its commit, and would otherwise hide that write until the next one.
    async fn reload(&self, claim_local: bool) -> Result<Arc<Snapshot>, StorageError> {
        let local_writes = if claim_local {
            credential_writes()
        } else {
            self.current().local_writes
        };
        let started = Instant::now();
        let now = now_unix();
        let (clients, revoked) = self.db.run(move |c| Ok(load(c, now)?)).await?;
        let snapshot = Arc::new(Snapshot {
            clients,
            revoked,
            loaded: Some(started),
            local_writes,
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = snapshot.clone();
        Ok(snapshot)
    }
}

type Loaded = (HashMap<String, Arc<Entry>>, HashSet<String>);

/// Every client with its unexpired secrets, and the revoked `jti`s of
/// tokens not yet expired, read in one transaction.
fn load(conn: &mut DbConnection, now: i64) -> QueryResult<Loaded> {
    conn.transaction(|c| {
        let rows = clients::table
            .select(ClientRow::as_select())
            .load::<ClientRow>(c)?;
        let secrets: Vec<(String, Vec<u8>, Option<i64>)> = client_secrets::table
            .filter(
                client_secrets::expires_at
                    .is_null()
                    .or(client_secrets::expires_at.gt(now)),
            )
            .select((
                client_secrets::client_id,
                client_secrets::secret_hash,
                client_secrets::expires_at,
            ))
            .load(c)?;
        let revoked: Vec<String> = revoked_tokens::table
            .filter(revoked_tokens::expires_at.ge(now))
            .select(revoked_tokens::jti)
            .load(c)?;
        let mut by_client: HashMap<String, Vec<Secret>> = HashMap::new();
        for (id, hash, expires) in secrets {
            by_client.entry(id).or_default().push((hash, expires));
        }
        let clients = rows
            .into_iter()
            .map(|row| {
                let secrets = by_client.remove(&row.client_id).unwrap_or_default();
                (row.client_id.clone(), Arc::new(Entry { row, secrets }))
            })
            .collect();
        Ok((clients, revoked.into_iter().collect()))
    })
}
