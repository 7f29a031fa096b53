//! Losing the database under load: a private PostgreSQL or MariaDB server
//! (see `servers`) is stopped while clients keep linking. While it is down
//! every request fails fast with a 503 and the JSON error envelope, and
//! `/health/ready` answers 503; once it is back, requests succeed again
//! without restarting idmap-server, and the metrics counted the outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, hash, sample, start_app_at};
use crate::servers::{PrivateMariadb, PrivatePostgres};

const CLIENTS: u32 = 4;
/// Longer than two pool checkout timeouts (3 s), so that some requests are
/// sent and answered entirely while the server is down.
const OUTAGE: Duration = Duration::from_secs(7);

/// (status, JSON body, whether the database was down from send to answer).
type Outcome = (u16, Value, bool);

/// Runs the load while `outage` stops and restarts the server; checks the
/// outcomes.
async fn load_through_outage(app: TestApp, outage: impl AsyncFnOnce(&AtomicBool)) {
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let down = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (app, stop, down) = (app.clone(), stop.clone(), down.clone());
            tokio::spawn(async move {
                let token = app.issuer.link_token("UFH");
                let mut outcomes: Vec<Outcome> = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = json!({"patients": [{"ref": format!("c{c}-{n}"), "hashes": [
                        {"rule": "F_L_D_S", "hash": hash(c * 1_000_000 + n)}]}]});
                    let was_down = down.load(Ordering::SeqCst);
                    let r = app.post("/api/v1/link", Some(&token), &body).await;
                    let status = r.status().as_u16();
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    outcomes.push((status, v, was_down && down.load(Ordering::SeqCst)));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                outcomes
            })
        })
        .collect();
    let probe = {
        let (app, stop, down) = (app.clone(), stop.clone(), down.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                if down.load(Ordering::SeqCst) {
                    let r = app
                        .http
                        .get(format!("{}/health/ready", app.url))
                        .send()
                        .await;
                    if let Ok(r) = r
                        && down.load(Ordering::SeqCst)
                    {
                        statuses.push(r.status().as_u16());
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            statuses
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    outage(&down).await;
    // Until every client has succeeded again after the restart.
    let back = Instant::now();
    let mut recovered = false;
    while back.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = app
            .post(
                "/api/v1/link",
                Some(&app.issuer.link_token("UFH")),
                &json!({"patients": [{"hashes": [{"rule": "F_L_D_S", "hash": hash(7)}]}]}),
            )
            .await;
        if r.status() == 200 {
            recovered = true;
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Vec::new();
    for c in clients {
        all.extend(c.await.unwrap());
    }
    assert!(
        recovered,
        "requests did not succeed again after the restart"
    );
    let ready_while_down = probe.await.unwrap();
    assert!(
        !ready_while_down.is_empty() && ready_while_down.iter().all(|s| *s == 503),
        "readiness while the database was down: {ready_while_down:?}"
    );
    let metrics = app.metrics().await;
    assert!(
        sample(&metrics, r#"idmap_db_errors_total{kind="unavailable"}"#) >= 1.0,
        "{metrics}"
    );
    let unavailable = all.iter().filter(|(s, _, _)| *s == 503).count();
    let during: Vec<&Outcome> = all.iter().filter(|o| o.2).collect();
    eprintln!(
        "{:?}: {} requests, {} answered 503, {} sent while down, recovered after {:?}",
        app.backend,
        all.len(),
        unavailable,
        during.len(),
        back.elapsed()
    );
    for (status, body, _) in &all {
        assert!(*status == 200 || *status == 503, "{status}: {body}");
        if *status == 503 {
            assert_eq!(body["error"], "temporarily_unavailable", "{body}");
        }
    }
    assert!(!during.is_empty(), "no request was sent during the outage");
    for (status, body, _) in during {
        assert_eq!(
            *status, 503,
            "a request while the database was down: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_gives_503_then_recovers_without_restart() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let app = start_app_at(&pg.url(), &[]).await;
    app.wait_ready().await;
    load_through_outage(app, async |down: &AtomicBool| {
        let pg = &pg;
        tokio::task::block_in_place(|| pg.down());
        down.store(true, Ordering::SeqCst);
        tokio::time::sleep(OUTAGE).await;
        down.store(false, Ordering::SeqCst);
        tokio::task::block_in_place(|| pg.up());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_outage_gives_503_then_recovers_without_restart() {
    let Some(mut my) = PrivateMariadb::start() else {
        return;
    };
    let app = start_app_at(&my.url(), &[]).await;
    app.wait_ready().await;
    load_through_outage(app, async |down: &AtomicBool| {
        tokio::task::block_in_place(|| my.down());
        down.store(true, Ordering::SeqCst);
        tokio::time::sleep(OUTAGE).await;
        down.store(false, Ordering::SeqCst);
        tokio::task::block_in_place(|| my.up());
    })
    .await;
}
