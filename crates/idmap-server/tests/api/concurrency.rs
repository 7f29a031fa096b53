//! Rule 1 and atomicity under real concurrent load: 32 HTTP clients of four
//! partners submit overlapping, partly new hashes for a few seconds. The
//! storage layer retries lost races (unique keys, deadlocks, serialization
//! failures) inside the service, so every request must succeed, every hash
//! must end up bound to exactly one UUID, and every answer a client got must
//! be the UUID that is stored.
//!
//! Patients carry no ref, so no hash becomes ambiguous and the answer for a
//! patient is always the UUID its first hash is bound to afterwards (the
//! highest-priority hash wins, rule 4): that is what is checked.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use idmap_storage::testing::TestDatabase;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::helpers::{TestApp, hash, spawn_app_with};

const CLIENTS: u64 = 32;
const PARTNERS: [&str; 4] = ["UFH", "FLM", "ORH", "TGH"];
/// People known network-wide; each has two hashes that clients send in
/// random subsets and orders, so requests overlap heavily.
const PEOPLE: u32 = 600;
const PATIENTS_PER_REQUEST: usize = 25;
const LOAD: Duration = Duration::from_secs(3);

/// What one client saw: (first hash of a patient, UUID answered).
type Seen = Vec<(String, String)>;

fn patient(rng: &mut StdRng, fresh: &mut u32) -> (String, Value) {
    let rules = ["F_L_D_S", "F_L_D_R"];
    if rng.random_bool(0.2) {
        *fresh += 1;
        let h = hash(*fresh);
        return (
            h.clone(),
            json!({"hashes": [{"rule": rules[0], "hash": h}]}),
        );
    }
    let person = rng.random_range(0..PEOPLE);
    let mut hashes = vec![hash(10_000 + person * 2), hash(10_000 + person * 2 + 1)];
    // Either hash alone, or both in either priority order: the same
    // person then gets two UUIDs from concurrent requests, and a later
    // request sending both records a conflict.
    match rng.random_range(0..4) {
        0 => hashes.truncate(1),
        1 => {
            hashes.remove(0);
        }
        2 => hashes.reverse(),
        _ => {}
    }
    let first = hashes[0].clone();
    let hashes: Vec<Value> = hashes
        .into_iter()
        .zip(rules)
        .map(|(h, rule)| json!({"rule": rule, "hash": h}))
        .collect();
    (first, json!({ "hashes": hashes }))
}

/// One client: requests until the deadline; every answer must be a 200.
async fn client(app: &TestApp, n: u64, deadline: Instant) -> (Seen, Vec<Duration>) {
    let mut rng = StdRng::seed_from_u64(n);
    let partner = PARTNERS[(n as usize) % PARTNERS.len()];
    let token = app.issuer.link_token(partner);
    let mut fresh = u32::try_from(n).unwrap() * 1_000_000 + 100_000_000;
    let (mut seen, mut latencies) = (Seen::new(), Vec::new());
    while Instant::now() < deadline {
        let (firsts, patients): (Vec<String>, Vec<Value>) = (0..PATIENTS_PER_REQUEST)
            .map(|_| patient(&mut rng, &mut fresh))
            .unzip();
        let started = Instant::now();
        let r = app
            .post(
                "/api/v1/link",
                Some(&token),
                &json!({ "patients": patients }),
            )
            .await;
        latencies.push(started.elapsed());
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "client {n} ({partner}): {v}");
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), firsts.len());
        for (first, result) in firsts.into_iter().zip(results) {
            seen.push((first, result["uuid"].as_str().unwrap().to_owned()));
        }
    }
    (seen, latencies)
}

async fn concurrent_clients_agree_with_the_store_and_never_fail(db: TestDatabase) {
    let app = spawn_app_with(db, &[("IDMAP_DB_POOL_SIZE", "10")]).await;
    let deadline = Instant::now() + LOAD;
    let runs =
        futures_util::future::join_all((0..CLIENTS).map(|n| client(&app, n, deadline))).await;

    let mut answered: HashMap<String, HashSet<String>> = HashMap::new();
    let mut latencies = Vec::new();
    for (seen, l) in runs {
        latencies.extend(l);
        for (h, u) in seen {
            answered.entry(h).or_default().insert(u);
        }
    }
    for (h, uuids) in &answered {
        assert_eq!(uuids.len(), 1, "hash {h} was answered with {uuids:?}");
    }
    let hashes: Vec<&String> = answered.keys().collect();
    let token = app.issuer.read_token();
    for chunk in hashes.chunks(5_000) {
        let r = app
            .post("/api/v1/lookup", Some(&token), &json!({ "hashes": chunk }))
            .await;
        let v: Value = r.json().await.unwrap();
        for result in v["results"].as_array().unwrap() {
            let h = result["hash"].as_str().unwrap();
            let stored = result["uuid"].as_str().unwrap_or("<unbound>");
            assert!(
                answered[h].contains(stored),
                "hash {h}: stored {stored}, answered {:?}",
                answered[h]
            );
        }
    }
    let counts = app.counts().await;
    latencies.sort();
    eprintln!(
        "{:?}: {} requests of {PATIENTS_PER_REQUEST} patients by {CLIENTS} clients in {LOAD:?}; \
         latency p50 {:?}, p99 {:?}, max {:?}; {} hashes bound, {} UUIDs, {} conflicts",
        app.backend,
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies[latencies.len() - 1],
        counts["bindings"],
        counts["uuids"],
        counts["conflicts"],
    );
    assert!(latencies.len() >= CLIENTS as usize);
    assert_eq!(counts["ambiguous"], 0);
}

per_backend!(concurrent_clients_agree_with_the_store_and_never_fail);
