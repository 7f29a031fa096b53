//! Storage errors, classified so that callers can answer 503 for an outage
//! and so that transactions know which failures are worth a retry.

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

impl StorageError {
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
                let m = info.message();
                m.contains("deadlock detected")
                    || m.contains("Lock wait timeout exceeded")
                    || m.contains("database is locked")
                    || m.contains("database table is locked")
            }
            _ => false,
        }
    }
}

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
