//! The storage seam against every backend the machine runs: migrations,
//! blocking work off the executor, retried races and outage classification.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use idmap_storage::testing::all_backends;
use idmap_storage::{Backend, Database, DatabaseUrl, DbConnection, Migrations, StorageError};

const SQLITE: EmbeddedMigrations = embed_migrations!("tests/migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("tests/migrations/postgres");
const MYSQL: EmbeddedMigrations = embed_migrations!("tests/migrations/mysql");

fn migrations() -> Migrations {
    Migrations {
        sqlite: SQLITE,
        postgres: POSTGRES,
        mysql: MYSQL,
    }
}

diesel::table! {
    items (k) {
        k -> Binary,
        v -> BigInt,
    }
}

fn key(n: u8) -> Vec<u8> {
    vec![n; 32]
}

/// The value stored under `k`, if any.
fn stored(c: &mut DbConnection, k: &[u8]) -> Result<Option<i64>, StorageError> {
    Ok(items::table
        .filter(items::k.eq(k))
        .select(items::v)
        .get_result(c)
        .optional()?)
}

/// Inserts `k` unless present, answering the stored value: the read-then-
/// insert shape of the linkage store, which races under concurrency.
fn get_or_insert(c: &mut DbConnection, k: Vec<u8>, v: i64) -> Result<i64, StorageError> {
    if let Some(v) = stored(c, &k)? {
        return Ok(v);
    }
    diesel::insert_into(items::table)
        .values((items::k.eq(&k), items::v.eq(v)))
        .execute(c)?;
    Ok(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_apply_once_and_queries_run_on_every_backend() {
    for tdb in all_backends() {
        let db = Database::connect(&tdb.database_url(), 4).unwrap();
        let first = db.migrate(migrations()).unwrap();
        assert_eq!(first.len(), 1, "{:?}", tdb.backend());
        assert!(db.migrate(migrations()).unwrap().is_empty());
        db.ping().await.unwrap();
        let v = db
            .transaction(|c| get_or_insert(c, key(1), 7))
            .await
            .unwrap();
        assert_eq!(v, 7);
        let again = db
            .transaction(|c| get_or_insert(c, key(1), 9))
            .await
            .unwrap();
        assert_eq!(again, 7);
        let n: i64 = db
            .run(|c| Ok(items::table.count().get_result(c)?))
            .await
            .unwrap();
        assert_eq!(n, 1);
        let pool = db.pool_state();
        assert_eq!(pool.max, 4);
        assert!(pool.connections >= 1 && pool.connections <= 4, "{pool:?}");
        assert_eq!(pool.in_use(), 0, "{pool:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_inserts_of_one_key_all_answer_the_winner() {
    for tdb in all_backends() {
        let db = Database::connect(&tdb.database_url(), 8).unwrap();
        db.migrate(migrations()).unwrap();
        let mut tasks = Vec::new();
        for i in 0..16i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.transaction(move |c| get_or_insert(c, key(2), i)).await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap().unwrap());
        }
        answers.dedup();
        assert_eq!(answers.len(), 1, "{:?}: {answers:?}", tdb.backend());
    }
}

#[tokio::test]
async fn a_failed_transaction_leaves_nothing() {
    for tdb in all_backends() {
        let db = Database::connect(&tdb.database_url(), 2).unwrap();
        db.migrate(migrations()).unwrap();
        let r: Result<(), _> = db
            .transaction(|c| {
                diesel::insert_into(items::table)
                    .values((items::k.eq(key(3)), items::v.eq(1)))
                    .execute(c)?;
                Err(StorageError::Config("abort".into()))
            })
            .await;
        assert!(r.is_err());
        let n: i64 = db
            .run(|c| Ok(items::table.count().get_result(c)?))
            .await
            .unwrap();
        assert_eq!(n, 0, "{:?}", tdb.backend());
    }
}

/// Many concurrent transactions, every fifth failing after its write: the
/// others all commit (on SQLite in shared groups), the failures leave
/// nothing, and each caller gets its own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transactions_keep_their_own_outcome() {
    for tdb in all_backends() {
        let db = Database::connect(&tdb.database_url(), 8).unwrap();
        db.migrate(migrations()).unwrap();
        let mut tasks = Vec::new();
        for i in 0..200u8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.transaction(move |c| {
                    let v = get_or_insert(c, key(i), i64::from(i))?;
                    if i % 5 == 0 {
                        return Err(StorageError::Config(format!("abort {i}")));
                    }
                    Ok(v)
                })
                .await
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(v) => assert_eq!(v, i as i64, "{:?}", tdb.backend()),
                Err(e) => {
                    assert_eq!(i % 5, 0, "{:?}: {e}", tdb.backend());
                    assert!(e.to_string().contains(&format!("abort {i}")), "{e}");
                }
            }
        }
        let stored: Vec<i64> = db
            .run(|c| Ok(items::table.select(items::v).order(items::v).load(c)?))
            .await
            .unwrap();
        let expected: Vec<i64> = (0..200).filter(|i| i % 5 != 0).collect();
        assert_eq!(stored, expected, "{:?}", tdb.backend());
    }
}

#[tokio::test]
async fn unreachable_servers_are_reported_unavailable() {
    for url in [
        "postgres://nobody@127.0.0.1:1/none",
        "mysql://nobody@127.0.0.1:1/none",
    ] {
        let db = Database::connect(&DatabaseUrl::parse(url).unwrap(), 1).unwrap();
        let err = db.ping().await.unwrap_err();
        assert!(err.is_unavailable(), "{url}: {err}");
    }
}

#[test]
fn sqlite_file_is_created_but_never_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/app.db", dir.path().display());
    let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
    assert_eq!(db.backend(), Backend::Sqlite);
    db.migrate(migrations()).unwrap();
    assert!(dir.path().join("app.db").exists());

    let typo = format!("sqlite://{}/nested/dir/app.db", dir.path().display());
    let Err(err) = Database::connect(&DatabaseUrl::parse(&typo).unwrap(), 1) else {
        panic!("a missing directory must be refused");
    };
    assert!(matches!(err, StorageError::Config(_)), "{err}");
    assert!(err.to_string().contains("nested/dir/app.db"), "{err}");
    assert!(!dir.path().join("nested").exists());
}

#[derive(QueryableByName)]
struct CacheSize {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    cache_size: i64,
}

fn cache_size(c: &mut DbConnection) -> Result<i64, StorageError> {
    let row: CacheSize = diesel::sql_query("PRAGMA cache_size").get_result(c)?;
    Ok(row.cache_size)
}

/// A migrated SQLite database in a file of its own (the directory lives as
/// long as the returned guard).
fn migrated_sqlite_file() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/app.db", dir.path().display());
    let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), 4).unwrap();
    db.migrate(migrations()).unwrap();
    (dir, db)
}

/// SQLite writes go through one connection whose page cache is larger than
/// a reader's, and that connection sees and keeps what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_use_the_one_writer_connection() {
    let (_dir, db) = migrated_sqlite_file();
    let reader = db.run(cache_size).await.unwrap();
    let writer = db.transaction(cache_size).await.unwrap();
    assert_eq!((reader, writer), (-512, -8192));
    let v = db
        .transaction(|c| get_or_insert(c, key(9), 3))
        .await
        .unwrap();
    assert_eq!(v, 3);
    let found = db.run(|c| stored(c, &key(9))).await.unwrap();
    assert_eq!(found, Some(3));
}

/// A door closures wait at on their blocking thread until the test opens it.
#[derive(Clone, Default)]
struct Gate(std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let guard = self.0.0.lock().unwrap();
        let (_open, timeout) = self
            .0
            .1
            .wait_timeout_while(guard, std::time::Duration::from_secs(30), |open| !*open)
            .unwrap();
        assert!(!timeout.timed_out(), "gate never opened");
    }
}

/// Stores `k`, first telling `started` and waiting at `gate`.
fn held_insert(
    k: u8,
    started: tokio::sync::mpsc::UnboundedSender<u8>,
    gate: Gate,
) -> impl Fn(&mut DbConnection) -> Result<i64, StorageError> + Send + Sync + 'static {
    move |c| {
        let _ = started.send(k);
        gate.wait();
        get_or_insert(c, key(k), i64::from(k))
    }
}

/// A caller whose transaction ran in another caller's group answers as soon
/// as that group committed. If it queued on for the writer instead, it would
/// run the next arrival's transaction (here one that is held open) before
/// answering, and every later group would shrink to one transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_group_members_answer_without_waiting_for_the_writer() {
    let (_dir, db) = migrated_sqlite_file();
    let (started, mut running) = tokio::sync::mpsc::unbounded_channel();
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(300));
    let next = async |running: &mut tokio::sync::mpsc::UnboundedReceiver<u8>| {
        tokio::time::timeout(std::time::Duration::from_secs(10), running.recv())
            .await
            .expect("a transaction started")
            .unwrap()
    };

    // 1 holds the writer while 2 and 3 queue behind it.
    let (gate1, gate2, gate4) = (Gate::default(), Gate::default(), Gate::default());
    let first = tokio::spawn({
        let db = db.clone();
        let t = held_insert(1, started.clone(), gate1.clone());
        async move { db.transaction(t).await }
    });
    assert_eq!(next(&mut running).await, 1);
    let second = tokio::spawn({
        let db = db.clone();
        let t = held_insert(2, started.clone(), gate2.clone());
        async move { db.transaction(t).await }
    });
    let third = tokio::spawn({
        let db = db.clone();
        async move { db.transaction(|c| get_or_insert(c, key(3), 3)).await }
    });
    settle().await;
    gate1.open();
    assert_eq!(first.await.unwrap().unwrap(), 1);

    // 2 and 3 now run as one group, held open at 2 while 4 queues.
    assert_eq!(next(&mut running).await, 2);
    let fourth = tokio::spawn({
        let db = db.clone();
        let t = held_insert(4, started.clone(), gate4.clone());
        async move { db.transaction(t).await }
    });
    settle().await;
    gate2.open();
    let group = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        (second.await.unwrap(), third.await.unwrap())
    })
    .await
    .expect("both members of the group answered while 4 is held");
    assert_eq!((group.0.unwrap(), group.1.unwrap()), (2, 3));

    assert_eq!(next(&mut running).await, 4);
    gate4.open();
    assert_eq!(fourth.await.unwrap().unwrap(), 4);
    for k in 1..=4 {
        let found = db.run(move |c| stored(c, &key(k))).await.unwrap();
        assert_eq!(found, Some(i64::from(k)));
    }
}

/// A transaction that panics on SQLite's writer thread answers an error,
/// leaves nothing behind, and the writer goes on with the next ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writer_survives_a_panicking_transaction() {
    let (_dir, db) = migrated_sqlite_file();
    let panicked: Result<i64, _> = db
        .transaction(|c| {
            get_or_insert(c, key(5), 5)?;
            panic!("transaction panicked on purpose");
        })
        .await;
    assert!(panicked.is_err());
    let v = db
        .transaction(|c| get_or_insert(c, key(6), 6))
        .await
        .unwrap();
    assert_eq!(v, 6);
    let found = db
        .run(|c| Ok((stored(c, &key(5))?, stored(c, &key(6))?)))
        .await;
    assert_eq!(found.unwrap(), (None, Some(6)));
}

#[derive(QueryableByName)]
struct Analyzed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    analyzed: bool,
}

/// After a bulk load the planner statistics are refreshed on the server
/// backends (PostgreSQL records when); the connection stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_are_refreshed_on_every_backend() {
    for tdb in all_backends() {
        let db = Database::connect(&tdb.database_url(), 2).unwrap();
        db.migrate(migrations()).unwrap();
        db.transaction(|c| get_or_insert(c, key(4), 4))
            .await
            .unwrap();
        db.refresh_statistics(&["items"]).await.unwrap();
        if tdb.backend() == Backend::Postgres {
            let row: Analyzed = db
                .run(|c| {
                    Ok(diesel::sql_query(
                        "SELECT last_analyze IS NOT NULL AS analyzed \
                         FROM pg_stat_user_tables WHERE relname = 'items'",
                    )
                    .get_result(c)?)
                })
                .await
                .unwrap();
            assert!(row.analyzed);
        }
        let found = db.run(|c| stored(c, &key(4))).await.unwrap();
        assert_eq!(found, Some(4), "{:?}", tdb.backend());
    }
}
