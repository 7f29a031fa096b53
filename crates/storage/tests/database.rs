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
fn sqlite_file_and_parent_directory_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/app.db", dir.path().display());
    let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
    assert_eq!(db.backend(), Backend::Sqlite);
    db.migrate(migrations()).unwrap();
    assert!(dir.path().join("nested/dir/app.db").exists());
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

/// SQLite writes go through one connection whose page cache is larger than
/// a reader's, and that connection sees and keeps what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_use_the_one_writer_connection() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/app.db", dir.path().display());
    let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), 4).unwrap();
    db.migrate(migrations()).unwrap();
    let reader = db.run(cache_size).await.unwrap();
    let writer = db.transaction(cache_size).await.unwrap();
    assert_eq!((reader, writer), (-4096, -16384));
    let v = db
        .transaction(|c| get_or_insert(c, key(9), 3))
        .await
        .unwrap();
    assert_eq!(v, 3);
    let found = db.run(|c| stored(c, &key(9))).await.unwrap();
    assert_eq!(found, Some(3));
}
