//! The connection type that spans the three backends, and the pool manager
//! that opens the concrete connection for a URL and prepares it.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, R2D2Connection};
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

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

/// Opens connections with the concrete type chosen from the URL scheme, so a
/// failed login reports the driver's real error.
#[derive(Debug)]
pub(crate) struct Manager {
    url: DatabaseUrl,
    role: Role,
}

impl Manager {
    pub(crate) fn new(url: DatabaseUrl, role: Role) -> Self {
        Self { url, role }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
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
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
