//! Storage errors, classified so that callers can answer 503 for an outage,
//! 507 when the database cannot store anything more, and so that
//! transactions know which failures are worth a retry.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached; clients get a 503 and may retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] DieselError),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("invalid database configuration: {0}")]
    Config(String),
}

/// A resource the database ran out of. Neither is a bug of ours nor goes
/// away by retrying at once, so clients get their own error code and
/// operators their own log line and metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhaustion {
    /// Disk, quota or table full, or the database refuses writes
    /// (read-only mode): nothing new can be stored until an operator acts.
    Storage,
    /// The server refuses more connections, or is out of memory.
    Capacity,
}

impl Exhaustion {
    /// A short label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Storage => "storage",
            Self::Capacity => "capacity",
        }
    }
}

/// What a storage failure means for the caller: the one classification
/// every service answers by, so none matches driver messages itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Down, unreachable, or out of a resource ([`StorageError::exhaustion`]
    /// says which): the caller may retry later.
    Unavailable,
    /// Lost a race with another transaction (unique key, serialization
    /// failure, deadlock, lock wait, busy file); retrying the whole unit of
    /// work against fresh state resolves it.
    Contention,
    /// Stored data this code cannot read: a row that does not decode, a
    /// damaged database file. Never the caller's fault.
    Corrupt,
    /// Anything else: a bug of ours.
    Other,
}

impl ErrorKind {
    /// A short label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Contention => "contention",
            Self::Corrupt => "corrupt",
            Self::Other => "other",
        }
    }
}

impl StorageError {
    /// How to answer this failure.
    pub fn kind(&self) -> ErrorKind {
        if self.is_unavailable() || self.exhaustion().is_some() {
            ErrorKind::Unavailable
        } else if self.is_retryable() {
            ErrorKind::Contention
        } else if self.is_corrupt() {
            ErrorKind::Corrupt
        } else {
            ErrorKind::Other
        }
    }

    /// Which resource ran out, when that is why this failed. Drivers expose
    /// messages rather than error numbers, so this matches the messages of
    /// SQLITE_FULL and SQLITE_READONLY, PostgreSQL's class 53 (insufficient
    /// resources) and read-only transactions, and MariaDB's 1021, 1114,
    /// 1290, 1836, 1040, 1203 and 1226.
    pub fn exhaustion(&self) -> Option<Exhaustion> {
        match self {
            Self::Unavailable(message) => exhausted_by(message),
            Self::Query(e) => query_exhaustion(e),
            _ => None,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Query(e) => is_connection_loss(e),
            _ => false,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Self::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }

    /// Races another transaction can cause: retrying the whole unit of work
    /// against fresh state resolves them.
    pub(crate) fn is_retryable(&self) -> bool {
        let Self::Query(DieselError::DatabaseError(kind, info)) = self else {
            return false;
        };
        match kind {
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure => true,
            DatabaseErrorKind::Unknown => {
                let m = info.message().to_lowercase();
                CONTENTION.iter().any(|s| m.contains(s))
            }
            _ => false,
        }
    }

    fn is_corrupt(&self) -> bool {
        match self {
            Self::Query(DieselError::DeserializationError(_)) => true,
            Self::Query(DieselError::DatabaseError(_, info)) => {
                let m = info.message().to_lowercase();
                CORRUPT.iter().any(|s| m.contains(s))
            }
            _ => false,
        }
    }
}

/// Messages, lower case, of a transaction that lost a race: PostgreSQL's
/// and MariaDB's deadlocks ("deadlock detected", "Deadlock found"),
/// MariaDB's lock wait timeout, SQLite's busy file and table.
const CONTENTION: &[&str] = &[
    "deadlock",
    "lock wait timeout exceeded",
    "database is locked",
    "database table is locked",
];

/// Messages, lower case, of a damaged database (SQLITE_CORRUPT and
/// SQLITE_NOTADB, PostgreSQL's XX001/XX002, MariaDB's crashed tables).
const CORRUPT: &[&str] = &[
    "database disk image is malformed",
    "file is not a database",
    "invalid page in block",
    "index contains unexpected",
    "is marked as crashed",
];

/// Messages of the drivers' connection-loss errors, lower case: client
/// libraries differ in capitalization ("MySQL server has gone away",
/// "Server has gone away").
const CONNECTION_LOSS: &[&str] = &[
    "server has gone away",
    "lost connection",
    "can't connect",
    "terminating connection",
    "server closed the connection",
    "the database system is shutting down",
    "the database system is starting up",
    "no connection to the server",
    "server shutdown in progress",
    // MariaDB kills client connections and running queries as it stops.
    "connection was killed",
    "query execution was interrupted",
    "connection refused",
];

/// Messages, lower case, of a database that cannot store more.
const STORAGE_FULL: &[&str] = &[
    // SQLite: SQLITE_FULL and SQLITE_READONLY.
    "database or disk is full",
    "attempt to write a readonly database",
    // PostgreSQL 53100 ("could not extend file ...: No space left on device"),
    // and the same errno through MariaDB ("Errcode: 28").
    "no space left on device",
    "could not extend file",
    "disk quota exceeded",
    // MariaDB 1021 and 1114.
    "disk full",
    "disk got full",
    "' is full",
    // MariaDB 1290 and 1836.
    "--read-only option",
    "running in read-only mode",
];

/// Messages, lower case, of a server that takes no more connections or
/// has no memory left (PostgreSQL 53300 and 53200, MariaDB 1040, 1041,
/// 1203 and 1226).
const CAPACITY: &[&str] = &[
    "too many clients",
    "too many connections",
    "remaining connection slots are reserved",
    "max_user_connections",
    "has exceeded the 'max_",
    "out of memory",
    "out of shared memory",
];

fn exhausted_by(message: &str) -> Option<Exhaustion> {
    let m = message.to_lowercase();
    if STORAGE_FULL.iter().any(|s| m.contains(s)) {
        Some(Exhaustion::Storage)
    } else if CAPACITY.iter().any(|s| m.contains(s)) {
        Some(Exhaustion::Capacity)
    } else {
        None
    }
}

fn query_exhaustion(e: &DieselError) -> Option<Exhaustion> {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => {
            Some(Exhaustion::Storage)
        }
        DieselError::DatabaseError(_, info) => exhausted_by(info.message()),
        // A full disk often shows first at the commit.
        DieselError::RollbackErrorOnCommit { commit_error, .. } => query_exhaustion(commit_error),
        _ => None,
    }
}

fn is_connection_loss(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let m = info.message().to_lowercase();
            CONNECTION_LOSS.iter().any(|s| m.contains(s))
        }
        // A commit cut off by the outage, and the rollback after it too.
        DieselError::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => is_connection_loss(commit_error) || is_connection_loss(rollback_error),
        DieselError::BrokenTransactionManager => true,
        _ => false,
    }
}

impl From<diesel::ConnectionError> for StorageError {
    fn from(e: diesel::ConnectionError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(message: &str) -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
    }

    #[test]
    fn connection_loss_is_recognized_whatever_the_capitalization() {
        for m in [
            "MySQL server has gone away",
            "Server has gone away",
            "Lost connection to server during query",
            "FATAL: terminating connection due to administrator command",
        ] {
            assert!(StorageError::Query(unknown(m)).is_unavailable(), "{m}");
        }
        assert!(!StorageError::Query(unknown("Duplicate entry")).is_unavailable());
    }

    #[test]
    fn full_disks_and_refused_writes_are_storage_exhaustion() {
        for m in [
            "database or disk is full",
            "attempt to write a readonly database",
            "could not extend file \"base/16384/16390\": No space left on device",
            "Disk full (/tmp/#sql-1.MAI); waiting for someone to free some space...",
            "The table 'bindings' is full",
            "The MariaDB server is running with the --read-only option so it cannot execute this statement",
            "Running in read-only mode",
        ] {
            assert_eq!(
                StorageError::Query(unknown(m)).exhaustion(),
                Some(Exhaustion::Storage),
                "{m}"
            );
        }
        let read_only = DieselError::DatabaseError(
            DatabaseErrorKind::ReadOnlyTransaction,
            Box::new("cannot execute INSERT in a read-only transaction".to_owned()),
        );
        assert_eq!(
            StorageError::Query(read_only).exhaustion(),
            Some(Exhaustion::Storage)
        );
        let at_commit = DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(unknown("cannot rollback - no transaction is active")),
            commit_error: Box::new(unknown("database or disk is full")),
        };
        assert_eq!(
            StorageError::Query(at_commit).exhaustion(),
            Some(Exhaustion::Storage)
        );
    }

    #[test]
    fn refused_connections_are_capacity_exhaustion_and_others_are_not() {
        for m in [
            "timed out waiting for connection: FATAL:  sorry, too many clients already",
            "Too many connections",
            "User app already has more than 'max_user_connections' active connections",
            "out of memory",
        ] {
            assert_eq!(
                StorageError::Unavailable(m.into()).exhaustion(),
                Some(Exhaustion::Capacity),
                "{m}"
            );
        }
        for m in ["Duplicate entry", "syntax error", "database is locked"] {
            assert_eq!(StorageError::Query(unknown(m)).exhaustion(), None, "{m}");
        }
        assert_eq!(
            StorageError::Unavailable("connection refused".into()).exhaustion(),
            None
        );
    }

    #[test]
    fn each_failure_has_one_kind() {
        let kind = |m: &str| StorageError::Query(unknown(m)).kind();
        assert_eq!(kind("Server has gone away"), ErrorKind::Unavailable);
        assert_eq!(kind("database or disk is full"), ErrorKind::Unavailable);
        assert_eq!(
            StorageError::Unavailable("too many clients".into()).kind(),
            ErrorKind::Unavailable
        );
        for m in [
            "deadlock detected",
            "Deadlock found when trying to get lock; try restarting transaction",
            "Lock wait timeout exceeded; try restarting transaction",
            "database is locked",
            "database table is locked",
        ] {
            assert_eq!(kind(m), ErrorKind::Contention, "{m}");
        }
        let unique = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key".to_owned()),
        );
        assert_eq!(StorageError::Query(unique).kind(), ErrorKind::Contention);
        assert_eq!(kind("database disk image is malformed"), ErrorKind::Corrupt);
        let undecodable = DieselError::DeserializationError("not an integer".into());
        assert_eq!(StorageError::Query(undecodable).kind(), ErrorKind::Corrupt);
        let check = DieselError::DatabaseError(
            DatabaseErrorKind::CheckViolation,
            Box::new("CHECK constraint failed".to_owned()),
        );
        assert_eq!(StorageError::Query(check).kind(), ErrorKind::Other);
        assert_eq!(kind("syntax error"), ErrorKind::Other);
        assert_eq!(
            StorageError::Migration("bad".into()).kind(),
            ErrorKind::Other
        );
    }

    #[test]
    fn a_commit_lost_with_its_rollback_is_an_outage() {
        let lost = DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(unknown("Server has gone away")),
            commit_error: Box::new(unknown("Lost connection to server during query")),
        };
        assert!(StorageError::Query(lost).is_unavailable());
        let other = DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(unknown("syntax error")),
            commit_error: Box::new(unknown("constraint failed")),
        };
        assert!(!StorageError::Query(other).is_unavailable());
    }
}
