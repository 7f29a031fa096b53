//! The one storage seam of the idmap services: the backend is chosen from the
//! database URL, connections come from a pool, blocking diesel calls run off
//! the async executor, and write transactions are retried on the races a
//! client must never see. [`query`] holds the helpers for statements that
//! must stay within every backend's limits and cached.

mod columns;
mod connection;
mod database;
mod error;
mod group_commit;
mod key_in;
pub mod query;
#[cfg(feature = "testing")]
pub mod testing;
mod url;
mod wal;
mod write_health;

pub use connection::DbConnection;
pub use database::{Database, Migrations, PoolState};
pub use error::{ErrorKind, Exhaustion, Result, StorageError};
pub use url::{Backend, DatabaseUrl};
pub use write_health::HOLD as STORAGE_RETRY_AFTER;
