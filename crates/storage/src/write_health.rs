//! Whether writes currently fail because the database ran out of space or
//! refuses them, so readiness probes can take the replica out of rotation:
//! set by such a failure, cleared by the next write that commits, and
//! forgotten after [`HOLD`] so that a replica nobody sends writes to any
//! more is tried again (its next failing write sets it anew).
//!
//! The error is logged here at error level once per episode, with its
//! cause; every failed request after it is only counted.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Exhaustion;
use crate::{Result, StorageError};

/// How long a storage failure keeps the replica not ready without a
/// successful write since; also the `Retry-After` the services announce.
pub const HOLD: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub(crate) struct WriteHealth {
    failed_at: Mutex<Option<Instant>>,
}

impl WriteHealth {
    /// Notes the outcome of a write transaction.
    pub(crate) fn record<T>(&self, outcome: &Result<T>) {
        match outcome {
            Ok(_) => self.succeeded(),
            Err(e) => self.failed(e),
        }
    }

    /// Notes a failure of any call (reads never clear the flag).
    pub(crate) fn failed(&self, e: &StorageError) {
        if e.exhaustion() != Some(Exhaustion::Storage) {
            return;
        }
        let mut failed_at = self.lock();
        let episode_starts = !failing(*failed_at);
        *failed_at = Some(Instant::now());
        drop(failed_at);
        if episode_starts {
            tracing::error!(error = %e, "database storage exhausted: writes fail until space is freed or writes are allowed again");
        }
    }

    fn succeeded(&self) {
        let was = self.lock().take();
        if failing(was) {
            tracing::warn!("database writes succeed again");
        }
    }

    /// Whether a write failed for lack of storage within [`HOLD`] and none
    /// committed since.
    pub(crate) fn failing(&self) -> bool {
        failing(*self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.failed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn failing(failed_at: Option<Instant>) -> bool {
    failed_at.is_some_and(|t| t.elapsed() < HOLD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn full() -> StorageError {
        StorageError::Query(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        ))
    }

    #[test]
    fn a_full_disk_sets_the_flag_and_a_commit_clears_it() {
        let h = WriteHealth::default();
        h.record::<()>(&Err(StorageError::Unavailable("connection refused".into())));
        assert!(!h.failing());
        h.record::<()>(&Err(full()));
        assert!(h.failing());
        h.record(&Ok(()));
        assert!(!h.failing());
    }

    #[test]
    fn the_flag_is_forgotten_after_the_hold() {
        let h = WriteHealth::default();
        *h.lock() = Instant::now().checked_sub(HOLD + Duration::from_secs(1));
        assert!(!h.failing());
    }
}
