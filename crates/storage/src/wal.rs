//! Keeps SQLite's write-ahead log off the disk when writes stop. The
//! automatic checkpoint (see `connection`) copies pages back but leaves the
//! log file at its largest size, and does not run at all once writes stop,
//! so a registry that took a burst kept its data twice on disk. After
//! [`QUIET`] without a write, the writer thread copies the log back and
//! truncates it to zero bytes.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::Integer;

use crate::connection::DbConnection;

/// Time without a write before the log is checkpointed and truncated.
pub(crate) const QUIET: Duration = Duration::from_secs(2);

/// Readers still using the log make a truncating checkpoint wait for them;
/// the writer waits this long at most, then tries again after the next
/// quiet period, so a queued write is never held up for long.
const READER_WAIT: &str = "PRAGMA busy_timeout = 200;";
const WRITER_WAIT: &str = "PRAGMA busy_timeout = 10000;";

#[derive(diesel::QueryableByName)]
struct Outcome {
    /// 1 when readers kept the checkpoint from finishing.
    #[diesel(sql_type = Integer)]
    busy: i32,
}

/// Checkpoints and truncates the log; `false` when readers kept it from
/// finishing, so it is tried again after the next quiet period. An error
/// (a full disk, say) is logged and waits for the next write instead of
/// repeating every few seconds.
pub(crate) fn checkpoint(conn: &mut DbConnection) -> bool {
    use diesel::connection::SimpleConnection;
    let DbConnection::Sqlite(c) = conn else {
        return true;
    };
    let outcome = c.batch_execute(READER_WAIT).and_then(|()| {
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Outcome>(c)
    });
    let restored = c.batch_execute(WRITER_WAIT);
    match (outcome, restored) {
        (Ok(o), Ok(())) => o.busy == 0,
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "cannot checkpoint the SQLite write-ahead log");
            true
        }
    }
}
