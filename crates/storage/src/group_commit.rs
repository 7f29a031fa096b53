//! Group commit for SQLite, whose single writer makes every transaction
//! wait for the one before it: transactions queued while the writer was
//! busy run together in one database transaction, each inside its own
//! savepoint, and share one commit (one WAL sync, one round of dirtied
//! pages). A transaction's result is handed out only after the shared
//! commit succeeded; a failed error stays that transaction's own, since its
//! savepoint was rolled back. If the group cannot commit, or one member lost
//! a race, the group is rolled back and every member runs again alone.
//! When writes stop, the same thread checkpoints the write-ahead log (see
//! `wal`).

use std::sync::mpsc;
use std::time::Duration;

use diesel::Connection;
use diesel::r2d2::Pool;
use tokio::sync::oneshot;

use crate::connection::{DbConnection, Manager};
use crate::{Result, StorageError, wal};

/// Most transactions in one group; bounds the time a group holds the writer.
pub(crate) const MAX_GROUP: usize = 64;

/// One queued transaction with its closure, its result until the commit,
/// and where the result goes.
pub(crate) trait Job: Send {
    /// Runs the closure inside a savepoint of the open transaction.
    /// `false` when it lost a race, so the group must start over.
    fn run_in_group(&mut self, conn: &mut DbConnection) -> bool;
    /// Hands out the result kept by `run_in_group`, after the commit.
    fn deliver(self: Box<Self>);
    /// Runs the closure in a transaction of its own, with retries, and
    /// hands out that result.
    fn run_alone(self: Box<Self>, conn: &mut DbConnection);
    /// Hands out an error that prevented running at all.
    fn fail(self: Box<Self>, error: String);
}

struct TypedJob<T, F> {
    f: F,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

/// Queues `f`; the receiver yields its result once a group committed it.
pub(crate) fn job<T, F>(f: F) -> (Box<dyn Job>, oneshot::Receiver<Result<T>>)
where
    T: Send + 'static,
    F: Fn(&mut DbConnection) -> Result<T> + Send + Sync + 'static,
{
    let (reply, rx) = oneshot::channel();
    let job = TypedJob {
        f,
        result: None,
        reply,
    };
    (Box::new(job), rx)
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: Fn(&mut DbConnection) -> Result<T> + Send + Sync + 'static,
{
    fn run_in_group(&mut self, conn: &mut DbConnection) -> bool {
        let result = conn.transaction(|c| (self.f)(c));
        let lost_race = matches!(&result, Err(e) if e.is_retryable());
        self.result = Some(result);
        !lost_race
    }

    fn deliver(self: Box<Self>) {
        let result = self
            .result
            .unwrap_or_else(|| Err(StorageError::Unavailable("transaction did not run".into())));
        let _ = self.reply.send(result);
    }

    fn run_alone(self: Box<Self>, conn: &mut DbConnection) {
        let result = with_retries(conn, &self.f);
        let _ = self.reply.send(result);
    }

    fn fail(self: Box<Self>, error: String) {
        let _ = self.reply.send(Err(StorageError::Unavailable(error)));
    }
}

/// The thread that runs every write transaction on SQLite: it sleeps until
/// one is queued, then runs everything queued meanwhile as one group. A
/// dedicated thread starts the next group the moment a commit returns;
/// handing the writer from one request's task to the next cost several
/// thread wake-ups per group, during which the writer stood idle.
pub(crate) struct Writer(mpsc::Sender<Box<dyn Job>>);

impl Writer {
    /// Starts the thread; it ends once every `Writer` handle is dropped.
    pub(crate) fn spawn(pool: Pool<Manager>) -> Result<Self> {
        let (queue, jobs) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&pool, &jobs))
            .map_err(|e| StorageError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(Self(queue))
    }

    /// Queues `job`; it fails at once if the writer thread is gone.
    pub(crate) fn submit(&self, job: Box<dyn Job>) {
        if let Err(mpsc::SendError(job)) = self.0.send(job) {
            job.fail("the database writer has stopped".into());
        }
    }
}

fn write_loop(pool: &Pool<Manager>, queue: &mpsc::Receiver<Box<dyn Job>>) {
    // Whether the write-ahead log may hold pages since the last checkpoint.
    let mut logged = false;
    loop {
        let next = if logged {
            queue.recv_timeout(wal::QUIET)
        } else {
            queue
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        };
        let first = match next {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                logged = !pool.get().is_ok_and(|mut c| wal::checkpoint(&mut c));
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        logged = true;
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        // A panicking transaction loses its group's answers (their callers
        // get an error), not the writer.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match pool.get() {
            Ok(mut conn) => run(&mut conn, jobs),
            Err(e) => fail_all(jobs, &e.to_string()),
        }));
        if ran.is_err() {
            tracing::error!("a database group panicked; its transactions were not answered");
        }
    }
}

/// Runs `jobs` on `conn` as one group (or alone, for a single job).
pub(crate) fn run(conn: &mut DbConnection, mut jobs: Vec<Box<dyn Job>>) {
    if jobs.len() == 1 {
        if let Some(job) = jobs.pop() {
            job.run_alone(conn);
        }
        return;
    }
    let committed = conn.transaction(|c| {
        for job in jobs.iter_mut() {
            if !job.run_in_group(c) {
                return Err(diesel::result::Error::RollbackTransaction);
            }
        }
        Ok(())
    });
    match committed {
        Ok(()) => jobs.into_iter().for_each(|job| job.deliver()),
        Err(e) => {
            tracing::debug!(error = %e, jobs = jobs.len(), "group rolled back; running its transactions alone");
            for job in jobs {
                job.run_alone(conn);
            }
        }
    }
}

/// Hands `error` to every job.
pub(crate) fn fail_all(jobs: Vec<Box<dyn Job>>, error: &str) {
    for job in jobs {
        job.fail(error.to_owned());
    }
}

/// Attempts of one transaction before its last error is returned.
const MAX_ATTEMPTS: u32 = 8;

/// Runs `f` in a transaction, re-running it against fresh state when it
/// loses a race (unique key, serialization failure, deadlock, busy file).
pub(crate) fn with_retries<T>(
    conn: &mut DbConnection,
    f: &dyn Fn(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    let mut attempt = 1;
    loop {
        match conn.transaction(|c| f(c)) {
            Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "transaction lost a race; retrying");
                std::thread::sleep(backoff(attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Exponential backoff with jitter from the clock, 2 ms up to about 250 ms.
fn backoff(attempt: u32) -> Duration {
    let base = 2u64 << attempt.min(7);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    ) % base.max(1);
    Duration::from_millis(base + jitter)
}
