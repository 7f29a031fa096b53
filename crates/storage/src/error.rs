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

fn is_connection_loss(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let m = info.message();
            m.contains("server has gone away")
                || m.contains("Lost connection")
                || m.contains("Can't connect")
                || m.contains("terminating connection")
                || m.contains("server closed the connection")
                || m.contains("the database system is shutting down")
                || m.contains("the database system is starting up")
                || m.contains("no connection to the server")
                || m.contains("Server shutdown in progress")
                // MariaDB kills client connections and running queries as it stops.
                || m.contains("Connection was killed")
                || m.contains("Query execution was interrupted")
                || m.contains("Connection refused")
        }
        DieselError::BrokenTransactionManager => true,
        _ => false,
    }
}

impl From<diesel::ConnectionError> for StorageError {
    fn from(e: diesel::ConnectionError) -> Self {
        Self::Unavailable(e.to_string())
    }
}
