//! The `auth_failures` table: failed authentications per bucket within a
//! window that starts at the bucket's first failure, shared by every
//! replica on the database. Only failures are written, so a successful
//! authentication never touches it.

use diesel::prelude::*;
use idmap_storage::DbConnection;

use super::schema::auth_failures as af;

/// A bucket's failures in its current window, and when the window started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub failures: i64,
    pub started: i64,
}

/// Adds one failure at `now` to each of `buckets` (a bucket whose window
/// of `window` seconds has passed starts a new one) and returns their
/// counts, in the order given. Windows long over are deleted whenever a
/// row is made. Call inside a transaction: two replicas creating the same
/// row race on the primary key, and the loser's transaction runs again.
pub fn add(
    conn: &mut DbConnection,
    buckets: &[[u8; 32]],
    now: i64,
    window: i64,
) -> QueryResult<Vec<Count>> {
    let live_since = now - window;
    let mut created = false;
    for bucket in buckets {
        let key = bucket.as_slice();
        let counted = diesel::update(
            af::table
                .filter(af::bucket.eq(key))
                .filter(af::window_start.gt(live_since)),
        )
        .set(af::failures.eq(af::failures + 1))
        .execute(conn)?;
        if counted > 0 {
            continue;
        }
        let restarted = diesel::update(af::table.filter(af::bucket.eq(key)))
            .set((af::window_start.eq(now), af::failures.eq(1i64)))
            .execute(conn)?;
        if restarted == 0 {
            diesel::insert_into(af::table)
                .values((
                    af::bucket.eq(key),
                    af::window_start.eq(now),
                    af::failures.eq(1i64),
                ))
                .execute(conn)?;
            created = true;
        }
    }
    if created {
        diesel::delete(af::table.filter(af::window_start.le(live_since))).execute(conn)?;
    }
    let keys: Vec<Vec<u8>> = buckets.iter().map(|b| b.to_vec()).collect();
    let rows: Vec<(Vec<u8>, i64, i64)> = af::table
        .filter(af::bucket.eq_any(&keys))
        .select((af::bucket, af::failures, af::window_start))
        .load(conn)?;
    Ok(keys
        .iter()
        .map(|k| {
            rows.iter().find(|(b, _, _)| b == k).map_or(
                Count {
                    failures: 0,
                    started: now,
                },
                |(_, failures, started)| Count {
                    failures: *failures,
                    started: *started,
                },
            )
        })
        .collect())
}
