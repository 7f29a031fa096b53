//! Atomicity under a crash: the real `idmap-server` binary runs as a child
//! process, clients send large batches, and the process is killed with
//! SIGKILL mid-load. After a restart on the same database every batch is
//! either fully stored or absent (lookups of all its hashes, and one audit
//! entry per stored batch), answered batches are stored with the answered
//! UUIDs, and resubmitting every batch gives the stored UUIDs back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use idmap_server::db::audit;
use idmap_storage::testing::TestDatabase;
use idmap_storage::{Database, DatabaseUrl};
use idmap_web::testing::free_port;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::helpers::{Issuer, hash, lookup_uuids};

const CLIENTS: u32 = 4;
const PATIENTS: u32 = 2_000;
/// How long the load runs before the kill.
const BEFORE_KILL: Duration = Duration::from_millis(2_500);

/// Batch `b`: patient `i` has ref `b{b}-{i}` and two hashes of its own.
fn batch(b: u32) -> (Value, Vec<String>) {
    let mut hashes = Vec::new();
    let patients: Vec<Value> = (0..PATIENTS)
        .map(|i| {
            let (h1, h2) = (hash(b * 10_000 + i * 2), hash(b * 10_000 + i * 2 + 1));
            hashes.push(h1.clone());
            let p = json!({"ref": format!("b{b}-{i}"), "hashes": [
                {"rule": "F_L_D_S", "hash": h1}, {"rule": "F_L_D_R", "hash": h2}]});
            hashes.push(h2);
            p
        })
        .collect();
    (json!({ "patients": patients }), hashes)
}

/// A batch id and the answer, if one arrived before the kill.
type Sent = (u32, Option<Vec<String>>);

struct Server {
    child: Child,
    url: String,
}

async fn start_server(db_url: &str, issuer: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_idmap-server"))
        .arg("serve")
        .env("IDMAP_LISTEN", format!("127.0.0.1:{port}"))
        .env("IDMAP_DATABASE_URL", db_url)
        .env("IDMAP_ISSUER", issuer)
        .env("IDMAP_DB_POOL_SIZE", "4")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..400 {
        let r = http
            .get(format!("{}/health/ready", server.url))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("idmap-server did not become ready");
}

async fn link(http: &reqwest::Client, url: &str, token: &str, body: &Value) -> Option<Vec<String>> {
    let r = http
        .post(format!("{url}/api/v1/link"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .ok()?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.ok()?;
    Some(
        v["results"]
            .as_array()?
            .iter()
            .map(|r| r["uuid"].as_str().unwrap().to_owned())
            .collect(),
    )
}

async fn lookup(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    hashes: &[String],
) -> Vec<Option<String>> {
    let r = http
        .post(format!("{url}/api/v1/lookup"))
        .bearer_auth(token)
        .json(&json!({ "hashes": hashes }))
        .send()
        .await
        .unwrap();
    lookup_uuids(&r.json().await.unwrap())
}

async fn a_killed_server_leaves_every_batch_whole_or_absent(db: TestDatabase) {
    let issuer = Issuer::start().await;
    let mut server = start_server(db.url(), &issuer.url).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let token = issuer.link_token("UFH");
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let load = (0..CLIENTS).map(|c| {
        let (http, token, url, sent) = (
            http.clone(),
            token.clone(),
            server.url.clone(),
            sent.clone(),
        );
        tokio::spawn(async move {
            for k in 0.. {
                let b = c * 1_000 + k + 1;
                let (body, _) = batch(b);
                let at = {
                    let mut s = sent.lock().unwrap();
                    s.push((b, None));
                    s.len() - 1
                };
                match link(&http, &url, &token, &body).await {
                    Some(answer) => sent.lock().unwrap()[at].1 = Some(answer),
                    None => return,
                }
            }
        })
    });
    let load: Vec<_> = load.collect();
    tokio::time::sleep(BEFORE_KILL).await;
    // On a loaded machine the first answer can take longer than that; the
    // kill must still land mid-load, after something was answered.
    for _ in 0..1_200 {
        if sent.lock().unwrap().iter().any(|(_, a)| a.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().await.unwrap();
    for task in load {
        task.await.unwrap();
    }

    let server = start_server(db.url(), &issuer.url).await;
    let read = issuer.read_token();
    let sent = sent.lock().unwrap().clone();
    let (mut stored, mut absent, mut answered) = (0, 0, 0);
    let mut stored_uuids = Vec::new();
    for (b, answer) in &sent {
        let (_, hashes) = batch(*b);
        let found = lookup(&http, &server.url, &read, &hashes).await;
        let bound = found.iter().filter(|u| u.is_some()).count();
        assert!(
            bound == 0 || bound == hashes.len(),
            "batch {b}: {bound} of {} hashes stored",
            hashes.len()
        );
        // Each patient's two hashes answer its UUID.
        let per_patient: Vec<Option<String>> = found.chunks(2).map(|p| p[0].clone()).collect();
        if bound > 0 {
            stored += 1;
            assert!(found.chunks(2).all(|p| p[0] == p[1]));
            stored_uuids.push((*b, per_patient.clone()));
        } else {
            absent += 1;
        }
        if let Some(answer) = answer {
            answered += 1;
            assert_eq!(bound, hashes.len(), "answered batch {b} must be stored");
            let per_patient: Vec<String> = per_patient.into_iter().map(Option::unwrap).collect();
            assert_eq!(
                &per_patient, answer,
                "batch {b}: stored UUIDs differ from the answer"
            );
        }
    }
    let check = Database::connect(&DatabaseUrl::parse(db.url()).unwrap(), 1).unwrap();
    let links = check.run(|c| audit::count(c, Some("link"))).await.unwrap();
    assert_eq!(links, stored, "one audit entry per stored batch");
    eprintln!(
        "{:?}: {} batches of {PATIENTS} patients sent, {answered} answered before the kill, \
         {stored} stored, {absent} absent",
        db.backend(),
        sent.len()
    );
    assert!(answered >= 1, "the load did not get going before the kill");

    // Resubmitting answers the stored UUIDs (through the refs) and stores the rest.
    for (b, uuids) in stored_uuids {
        let answer = link(&http, &server.url, &token, &batch(b).0).await.unwrap();
        let expected: Vec<String> = uuids.into_iter().map(Option::unwrap).collect();
        assert_eq!(
            answer, expected,
            "batch {b} answered differently after the restart"
        );
    }
}

per_backend!(a_killed_server_leaves_every_batch_whole_or_absent);
