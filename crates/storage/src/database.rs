//! The pool handle services hold: runs blocking diesel work on the blocking
//! thread pool, applies migrations, and retries transactions that lost a race.

use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use tokio::sync::oneshot;

use crate::connection::{DbConnection, Manager, Role};
use crate::group_commit;
use crate::url::{Backend, DatabaseUrl};
use crate::write_health::WriteHealth;
use crate::{Result, StorageError};

/// How long a caller waits for a pooled connection before answering 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// The migration trees of one service, one per backend.
pub struct Migrations {
    pub sqlite: EmbeddedMigrations,
    pub postgres: EmbeddedMigrations,
    pub mysql: EmbeddedMigrations,
}

/// How many pooled connections exist and how many of them wait idle, for
/// the services' pool gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Open connections, in use or idle.
    pub connections: u32,
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl PoolState {
    pub fn in_use(&self) -> u32 {
        self.connections.saturating_sub(self.idle)
    }
}

/// A pool of connections to one database; cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    url: DatabaseUrl,
    /// SQLite has one writer at a time: one thread runs every write
    /// transaction, on one connection whose page cache stays warm (see
    /// `connection`), instead of writers spinning on the file lock.
    sqlite_writer: Option<Arc<group_commit::Writer>>,
    writes: Arc<WriteHealth>,
}

impl Database {
    /// Builds the pool without connecting, so a database that is down at
    /// start-up shows up as errors on use rather than a crash.
    /// A SQLite file is created on first use, but its directory must exist.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self> {
        url.check_sqlite_directory()?;
        tracing::info!(backend = url.backend().name(), location = %url.location(), "database");
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(CHECKOUT_TIMEOUT)
            // A server connection can die while idle; an SQLite file cannot.
            // The test pings only connections left unused for a while (see
            // `connection::TRUSTED_FOR`).
            .test_on_check_out(url.backend() != Backend::Sqlite)
            .build_unchecked(Manager::new(url.clone(), Role::Any));
        let sqlite_writer = if url.backend() == Backend::Sqlite {
            let write_pool = Pool::builder()
                .max_size(1)
                .min_idle(Some(0))
                .connection_timeout(CHECKOUT_TIMEOUT)
                .test_on_check_out(false)
                .build_unchecked(Manager::new(url.clone(), Role::Writer));
            Some(Arc::new(group_commit::Writer::spawn(write_pool)?))
        } else {
            None
        };
        Ok(Self {
            pool,
            backend: url.backend(),
            url: url.clone(),
            sqlite_writer,
            writes: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; concurrent starters (replicas, an admin
    /// command beside the server) take turns through a database-level lock.
    pub fn migrate(&self, migrations: Migrations) -> Result<Vec<String>> {
        let mut conn = checkout(&self.pool)?;
        let applied = match &mut **conn {
            DbConnection::Sqlite(c) => {
                let _lock = SqliteMigrationLock::acquire(&self.url)?;
                c.run_pending_migrations(migrations.sqlite).map(versions)
            }
            DbConnection::Postgres(c) => {
                use diesel::connection::SimpleConnection;
                c.batch_execute("SELECT pg_advisory_lock(74201)")?;
                let r = c.run_pending_migrations(migrations.postgres).map(versions);
                c.batch_execute("SELECT pg_advisory_unlock(74201)")?;
                r
            }
            DbConnection::Mysql(c) => {
                use diesel::connection::SimpleConnection;
                c.batch_execute("DO GET_LOCK('idmap_migrations', 60)")?;
                let r = c.run_pending_migrations(migrations.mysql).map(versions);
                c.batch_execute("DO RELEASE_LOCK('idmap_migrations')")?;
                r
            }
        };
        applied.map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let result = join(tokio::task::spawn_blocking(move || {
            let mut conn = checkout(&pool)?;
            let result = f(&mut conn);
            conn.settle(&result);
            result
        }))
        .await;
        if let Err(e) = &result {
            self.writes.failed(e);
        }
        result
    }

    /// Runs `f` in one transaction, re-running all of it against fresh state
    /// when it loses a race (unique key, serialization failure, deadlock,
    /// busy file), so clients never see those. On SQLite, transactions that
    /// queue for the single writer share one commit (see `group_commit`).
    pub async fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> Result<T> + Send + Sync + 'static,
    {
        let result = if let Some(writer) = &self.sqlite_writer {
            let (job, result) = group_commit::job(f);
            writer.submit(job);
            received(result.await)
        } else {
            let pool = self.pool.clone();
            join(tokio::task::spawn_blocking(move || {
                let mut conn = checkout(&pool)?;
                let result = group_commit::with_retries(&mut conn, &f);
                conn.settle(&result);
                result
            }))
            .await
        };
        self.writes.record(&result);
        result
    }

    /// Whether writes fail for lack of storage (see `write_health`): the
    /// replica should not be ready meanwhile.
    pub fn writes_failing(&self) -> bool {
        self.writes.failing()
    }

    /// Refreshes the planner statistics of `tables` after a bulk load.
    /// Until autovacuum gets to a freshly loaded table, PostgreSQL plans
    /// with default estimates: a partner's refs looked like 66 rows, and a
    /// probe for 100 UUIDs scanned all 83,000 of them (19 ms instead of
    /// 2). SQLite plans without statistics unless asked to keep them, so
    /// it is left alone.
    pub async fn refresh_statistics(&self, tables: &'static [&'static str]) -> Result<()> {
        if tables.is_empty() || self.backend == Backend::Sqlite {
            return Ok(());
        }
        let statement = match self.backend {
            Backend::Postgres => format!("ANALYZE {}", tables.join(", ")),
            _ => format!("ANALYZE TABLE {}", tables.join(", ")),
        };
        self.run(move |c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&statement).map_err(StorageError::from)
        })
        .await
    }

    /// A snapshot of the pool (no I/O; cheap enough for every scrape).
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Cheap round trip for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        use diesel::r2d2::R2D2Connection;
        self.run(|c| c.ping().map_err(StorageError::from)).await
    }

    /// [`Self::ping`], given up after `limit`: a probe must answer in time
    /// even while the database hangs or every connection is busy. The
    /// abandoned round trip finishes (or times out) on its blocking thread.
    pub async fn ping_within(&self, limit: Duration) -> Result<()> {
        match tokio::time::timeout(limit, self.ping()).await {
            Ok(result) => result,
            Err(_) => Err(StorageError::Unavailable(format!(
                "no answer within {} ms",
                limit.as_millis()
            ))),
        }
    }
}

fn checkout(pool: &Pool<Manager>) -> Result<PooledConnection<Manager>> {
    pool.get()
        .map_err(|e| StorageError::Unavailable(e.to_string()))
}

async fn join<T>(h: tokio::task::JoinHandle<Result<T>>) -> Result<T> {
    match h.await {
        Ok(r) => r,
        Err(e) => Err(StorageError::Unavailable(format!(
            "database task failed: {e}"
        ))),
    }
}

fn versions(v: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    v.into_iter().map(|m| m.to_string()).collect()
}

/// An exclusive lock on a file beside the SQLite database, held while
/// migrations run so two processes never apply the same one.
struct SqliteMigrationLock(std::fs::File);

impl SqliteMigrationLock {
    fn acquire(url: &DatabaseUrl) -> Result<Self> {
        let mut path = url.sqlite_path().unwrap_or_default().into_os_string();
        path.push(".migrate-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::Migration(format!("cannot open migration lock: {e}")))?;
        file.lock()
            .map_err(|e| StorageError::Migration(format!("cannot take migration lock: {e}")))?;
        Ok(Self(file))
    }
}

impl Drop for SqliteMigrationLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The result a group handed over, or why none came.
fn received<T>(done: std::result::Result<Result<T>, oneshot::error::RecvError>) -> Result<T> {
    done.unwrap_or_else(|_| {
        Err(StorageError::Unavailable(
            "database task failed before answering".into(),
        ))
    })
}
