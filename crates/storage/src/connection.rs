//! The connection type that spans the three backends, and the pool manager
//! that opens the concrete connection for a URL, prepares it, and decides
//! at check-out whether it must prove alive first.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, R2D2Connection};
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

use crate::StorageError;

use crate::url::{Backend, DatabaseUrl};

/// One diesel connection of whichever backend the URL named; queries are
/// written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MysqlConnection),
}

/// SQLite: WAL so readers never wait for the writer, a busy timeout for the
/// admin CLI writing beside a running server, fsync on commit for
/// durability. Statement journals stay in memory (multi-row inserts wrote
/// them to temporary files), and a WAL of up to 10,000 pages before the
/// automatic checkpoint: hash keys spread writes over the whole file, so a
/// longer WAL copies each page back once for many commits instead of once
/// per few commits. That is 40 MiB of log at 4 KiB pages; a checkpoint
/// truncates the file back to at most 64 MiB (`journal_size_limit`) so one
/// large transaction does not keep its space, and the writer truncates it
/// to nothing once writes stop (see `wal`).
const SQLITE_SETUP: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
    PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; \
    PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;";

/// A reader's page cache is emptied whenever another connection committed,
/// so it only helps read-only stretches; the operating system caches the
/// file anyway. Kept small because every pooled connection has one: at
/// 4 MiB each, ten readers held 40 MiB after a burst of lookups.
const SQLITE_READER_CACHE: &str = "PRAGMA cache_size = -512;";

/// The writer's cache survives its own commits, so it holds the B-tree
/// pages that every write transaction walks again. 8 MiB linked as fast
/// as 16 MiB on a 100k registry (docs/benchmarks.md) for 8 MiB less RSS.
const SQLITE_WRITER_CACHE: &str = "PRAGMA cache_size = -8192;";

/// What a pooled connection is for; only SQLite treats them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Any,
    /// SQLite's one write connection.
    Writer,
}

/// MySQL/MariaDB: refuse silent truncation, speak utf8mb4, and read
/// committed rows so that retried transactions see the winner of a race.
const MYSQL_SETUP: &str = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,\
    ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'; SET NAMES utf8mb4; \
    SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;";

/// PostgreSQL: no sequential scan where an index answers. Every hot query
/// probes keys; the planner weighs a probe of many keys (`= ANY($1)` with
/// a thousand hashes) against reading the whole table, and on a registry
/// still small enough, analyzed or not, it read the whole table: the cost
/// of each request then grew with the registry (25 ms for 2,000 hashes
/// among 42,000 rows, against 3 ms through the index). Tables without a
/// usable index are still scanned.
const POSTGRES_SETUP: &str = "SET enable_seqscan = off;";

/// A connection checked out again within this time of its previous
/// check-out is handed out without a ping: under load that is every
/// check-out, and a ping is a round trip per request. One idle longer,
/// possibly through a server restart or an idle timeout, is pinged first.
pub(crate) const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A pooled connection and what its check-out test needs.
pub(crate) struct Pooled {
    conn: DbConnection,
    /// Its last check-out, or when it was opened.
    last_used: Instant,
    /// The pool's count of lost connections when it last proved alive.
    losses_seen: u64,
    /// It lost its server: the pool drops it instead of keeping it.
    lost: bool,
    losses: Arc<AtomicU64>,
}

impl Pooled {
    /// Notes that `result` came from this connection: a connection that
    /// lost its server is dropped, and every other connection of the pool
    /// is pinged at its next check-out, since a server restart took them
    /// all.
    pub(crate) fn settle<T>(&mut self, result: &Result<T, StorageError>) {
        if let Err(e) = result
            && e.is_unavailable()
        {
            self.lost = true;
            self.losses.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Opens connections with the concrete type chosen from the URL scheme, so a
/// failed login reports the driver's real error.
#[derive(Debug)]
pub(crate) struct Manager {
    url: DatabaseUrl,
    role: Role,
    /// Connections of this pool that lost their server so far.
    losses: Arc<AtomicU64>,
}

impl Manager {
    pub(crate) fn new(url: DatabaseUrl, role: Role) -> Self {
        Self {
            url,
            role,
            losses: Arc::default(),
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let raw = self.url.expose();
        let mut conn = match self.url.backend() {
            Backend::Sqlite => {
                // Creates the file if missing, never its directory (checked
                // in `Database::connect`): a mistyped path must fail.
                let path = self.url.sqlite_path().unwrap_or_default();
                let path = path.to_string_lossy().into_owned();
                DbConnection::Sqlite(SqliteConnection::establish(&path)?)
            }
            Backend::Postgres => DbConnection::Postgres(PgConnection::establish(raw)?),
            Backend::Mysql => DbConnection::Mysql(MysqlConnection::establish(raw)?),
        };
        let setup = match (self.url.backend(), self.role) {
            (Backend::Sqlite, Role::Any) => [SQLITE_SETUP, SQLITE_READER_CACHE].concat(),
            (Backend::Sqlite, Role::Writer) => [SQLITE_SETUP, SQLITE_WRITER_CACHE].concat(),
            (Backend::Mysql, _) => MYSQL_SETUP.to_owned(),
            (Backend::Postgres, _) => POSTGRES_SETUP.to_owned(),
        };
        if !setup.is_empty() {
            conn.batch_execute(&setup)
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(Pooled {
            conn,
            last_used: Instant::now(),
            losses_seen: self.losses.load(Ordering::Relaxed),
            lost: false,
            losses: self.losses.clone(),
        })
    }

    /// Called at every check-out (the pool tests server connections, not
    /// SQLite's); pings only a connection that sat unused for longer than
    /// [`TRUSTED_FOR`] or that may have lived through a lost server.
    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        let losses = self.losses.load(Ordering::Relaxed);
        let trusted = pooled.last_used.elapsed() < TRUSTED_FOR && pooled.losses_seen == losses;
        if !trusted {
            pooled.conn.ping().map_err(r2d2::Error::QueryError)?;
            pooled.losses_seen = losses;
        }
        pooled.last_used = Instant::now();
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.lost || pooled.conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use diesel::r2d2::ManageConnection;

    use super::*;

    /// Counts the statements a connection runs.
    #[derive(Clone, Default)]
    struct Statements(Arc<Mutex<usize>>);

    impl Instrumentation for Statements {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::StartQuery { .. } = event {
                *self.0.lock().unwrap() += 1;
            }
        }
    }

    fn opened(manager: &Manager) -> (Pooled, Statements) {
        let mut pooled = manager.connect().unwrap();
        let statements = Statements::default();
        pooled.set_instrumentation(statements.clone());
        (pooled, statements)
    }

    fn pinged(manager: &Manager, pooled: &mut Pooled, statements: &Statements) -> bool {
        let before = *statements.0.lock().unwrap();
        manager.is_valid(pooled).unwrap();
        *statements.0.lock().unwrap() > before
    }

    #[test]
    fn only_idle_connections_and_survivors_of_a_loss_are_pinged() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("pool.db").display());
        let manager = Manager::new(DatabaseUrl::parse(&url).unwrap(), Role::Any);
        let (mut a, a_statements) = opened(&manager);
        let (mut b, b_statements) = opened(&manager);

        assert!(!pinged(&manager, &mut a, &a_statements), "just used");
        a.last_used -= TRUSTED_FOR;
        assert!(pinged(&manager, &mut a, &a_statements), "idle");
        assert!(!pinged(&manager, &mut a, &a_statements), "just pinged");

        let lost: Result<(), StorageError> =
            Err(StorageError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                Box::new("server closed the connection unexpectedly".to_owned()),
            )));
        a.settle(&lost);
        assert!(manager.has_broken(&mut a), "a lost connection is dropped");
        assert!(
            pinged(&manager, &mut b, &b_statements),
            "the others are tested"
        );
        assert!(!pinged(&manager, &mut b, &b_statements));

        b.settle(&Ok(()));
        let refused: Result<(), StorageError> =
            Err(StorageError::Query(diesel::result::Error::NotFound));
        b.settle(&refused);
        assert!(
            !manager.has_broken(&mut b),
            "other errors keep the connection"
        );
    }
}
