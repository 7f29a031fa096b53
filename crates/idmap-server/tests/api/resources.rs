//! When the database cannot store anything more: a SQLite registry on a
//! small tmpfs that is then filled, a PostgreSQL database in a tablespace on
//! a small tmpfs that is then filled (both genuine "no space left on
//! device"), and a MariaDB server put in read-only mode under a user without
//! the right to write anyway. Each runs on a private mount or server, so
//! nothing another test uses is touched, and is put back on drop even when
//! the test fails.
//!
//! While writes fail, new patients get a 507 `storage_exhausted` with
//! Retry-After, the metrics count it, readiness answers 503, and requests
//! whose patients are all stored (retries) still answer their UUIDs, on
//! both endpoints, without an audit row. Once space is back, writes succeed
//! and the replica is ready again, without a restart.

use std::process::Command;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use idmap_server::db::audit;
use idmap_storage::testing::{TestDatabase, Tmpfs};
use serde_json::{Value, json};

use crate::helpers::{TestApp, hash, sample, start_app_at};
use crate::servers::{PrivateMariadb, PrivatePostgres};

/// 300 new patients, half with a ref: enough rows to need new pages.
fn new_batch(n: u32) -> Value {
    let patients: Vec<Value> = (0..300)
        .map(|i| {
            let h = hash(n * 1_000 + i);
            if i % 2 == 0 {
                json!({"ref": format!("n{n}-{i}"), "hashes": [{"rule": "F_L_D_S", "hash": h}]})
            } else {
                json!({"hashes": [{"rule": "F_L_D_S", "hash": h}]})
            }
        })
        .collect();
    json!({ "patients": patients })
}

async fn audit_rows(app: &TestApp) -> i64 {
    app.db.run(|c| audit::count(c, None)).await.unwrap()
}

async fn ready_status(app: &TestApp) -> u16 {
    let r = app.request(reqwest::Method::GET, "/health/ready").await;
    r.status().as_u16()
}

async fn save(app: &TestApp, hash: &str) -> (u16, Value) {
    let body = json!({"data": {"1": {"1": hash}}});
    let r = app
        .post("/api/save", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Stores a few patients, runs `refuse` (after which the database cannot
/// write), checks everything a client and an operator see, then `allow`
/// and checks the recovery.
async fn through_exhaustion(app: TestApp, refuse: impl FnOnce(), allow: impl FnOnce()) {
    let stored = new_batch(0);
    let uuids = app.link_ok("UFH", &stored).await;
    let (status, saved) = save(&app, &hash(999_999)).await;
    assert_eq!(status, 200, "{saved}");
    let audit_before = audit_rows(&app).await;

    refuse();
    let token = app.issuer.link_token("UFH");
    let mut refused = None;
    for n in 1..30 {
        let r = app.post("/api/v1/link", Some(&token), &new_batch(n)).await;
        if r.status() != 200 {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("no write failed on a database that cannot store more");
    assert_eq!(r.status(), 507, "{:?}", r.text().await);
    assert_eq!(r.headers()["retry-after"], "30");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "storage_exhausted", "{body}");
    assert_eq!(ready_status(&app).await, 503, "ready while writes fail");
    let metrics = app.metrics().await;
    assert!(
        sample(
            &metrics,
            r#"idmap_db_errors_total{kind="storage_exhausted"}"#
        ) >= 1.0,
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "idmap_db_writes_failing"),
        1.0,
        "{metrics}"
    );

    // Retries of what is stored still answer, on both endpoints, and add
    // no audit row.
    assert_eq!(app.link_ok("UFH", &stored).await, uuids);
    assert_eq!(save(&app, &hash(999_999)).await, (200, saved));
    let (status, body) = save(&app, &hash(888_888)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (507, Some("storage_exhausted"))
    );
    assert_eq!(audit_rows(&app).await, audit_before);

    allow();
    let mut recovered = false;
    for _ in 0..20 {
        let r = app
            .post("/api/v1/link", Some(&token), &new_batch(100))
            .await;
        if r.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(recovered, "writes did not succeed again once allowed");
    assert_eq!(ready_status(&app).await, 200);
    assert_eq!(sample(&app.metrics().await, "idmap_db_writes_failing"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk() {
    let Some(disk) = Tmpfs::mount("24m") else {
        return;
    };
    let url = format!("sqlite://{}/idmap.db", disk.path().display());
    let app = start_app_at(&url, &[]).await;
    app.wait_ready().await;
    through_exhaustion(app, || disk.fill(), || disk.free()).await;
}

/// A database of a private PostgreSQL cluster whose tablespace lives on
/// the tmpfs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_with_a_full_tablespace() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let Some(disk) = Tmpfs::mount("24m") else {
        return;
    };
    let location = disk.path().join("pg");
    std::fs::create_dir(&location).unwrap();
    let owner = if is_root() { "nobody:nogroup" } else { "" };
    if !owner.is_empty() {
        assert!(
            Command::new("chown")
                .arg(owner)
                .arg(&location)
                .status()
                .unwrap()
                .success()
        );
    }
    let mut admin = diesel::PgConnection::establish(&pg.url()).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE TABLESPACE small LOCATION '{}'",
            location.display()
        ))
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE idmap TABLESPACE small")
        .unwrap();
    let url = format!("{}/idmap", pg.url().rsplit_once('/').unwrap().0);
    let app = start_app_at(&url, &[]).await;
    app.wait_ready().await;
    through_exhaustion(app, || disk.fill(), || disk.free()).await;
}

/// A private MariaDB in read-only mode; the service's user has no right to
/// write past it (only administrators do).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_in_read_only_mode() {
    let Some(my) = PrivateMariadb::start() else {
        return;
    };
    let mut admin = diesel::MysqlConnection::establish(&my.url()).unwrap();
    admin
        .batch_execute(
            "CREATE USER 'linker'@'%' IDENTIFIED BY 'linker'; \
             GRANT ALL ON idmap.* TO 'linker'@'%';",
        )
        .unwrap();
    let url = my.url().replace("root@", "linker:linker@");
    let app = start_app_at(&url, &[]).await;
    app.wait_ready().await;
    let set = |on: bool| {
        let mut c = diesel::MysqlConnection::establish(&my.url()).unwrap();
        c.batch_execute(&format!("SET GLOBAL read_only = {}", u8::from(on)))
            .unwrap();
    };
    through_exhaustion(app, || set(true), || set(false)).await;
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A retry on a healthy database answers the same without an audit row;
/// a request with one new patient among stored ones is linked as usual.
async fn a_retry_is_answered_from_the_registry_without_an_audit_row(db: TestDatabase) {
    let app = crate::helpers::spawn_app(db).await;
    let body = new_batch(0);
    let uuids = app.link_ok("UFH", &body).await;
    let rows = audit_rows(&app).await;
    assert_eq!(app.link_ok("UFH", &body).await, uuids);
    assert_eq!(audit_rows(&app).await, rows);
    let mut more = body.clone();
    more["patients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"hashes": [{"rule": "F_L_D_S", "hash": hash(777_777)}]}));
    let again = app.link_ok("UFH", &more).await;
    assert_eq!(again[..uuids.len()], uuids[..]);
    assert_eq!(audit_rows(&app).await, rows + 1);
}

per_backend!(a_retry_is_answered_from_the_registry_without_an_audit_row);
