//! Key rotation end to end with a real idmap-server (in-process) that
//! validates tokens locally from our JWKS: `admin keys rotate` (the real
//! binary, as an operator would run it) publishes the next key before it
//! signs; tokens of both keys are accepted across the rotation without a
//! restart; the JWKS is fetched a handful of times, not once per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::process::{auth_server_command, stdout_json};
use crate::support::{TestApp, key_states, lookup, spawn_app_in, test_env};
use serde_json::Value;

/// JWKS cache lifetime, and so the publication delay of a rotated key.
const MAX_AGE: &str = "8";

fn admin(env: &HashMap<String, String>, args: &[&str]) -> Value {
    stdout_json(&auth_server_command(env).args(args).output().unwrap())
}

async fn jwks_served(app: &TestApp) -> u64 {
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix("auth_jwks_requests_total "))
        .unwrap()
        .parse()
        .unwrap()
}

/// A client-credentials token and the key id it is signed with.
async fn token(app: &TestApp, id: &str, secret: &str) -> (String, String) {
    let t = app.client_token(id, secret).await;
    let kid = jsonwebtoken::decode_header(&t).unwrap().kid.unwrap();
    (t, kid)
}

#[tokio::test]
async fn tokens_of_both_keys_are_accepted_across_a_rotation_without_a_refetch_storm() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let extra = [
        ("AUTH_JWKS_MAX_AGE", MAX_AGE),
        ("AUTH_KEY_POLL_INTERVAL", "1"),
    ];
    let auth = spawn_app_in(dir.clone(), &extra).await;
    let env = test_env(dir.path(), &extra);

    let started = Instant::now();
    let (idmap, _idmap_db) = auth.spawn_idmap().await;
    let client = reqwest::Client::new();

    let (id, secret) = auth.add_client(None, "idmap:read").await;
    let (token_a, kid_a) = token(&auth, &id, &secret).await;
    assert_eq!(lookup(&client, &idmap, &token_a).await, 200);

    // Rotate as an operator would, while both servers run.
    let views = admin(&env, &["admin", "keys", "rotate"]);
    let new = views
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "pending")
        .unwrap()
        .clone();
    let activates_at = new["activates_at"].as_i64().unwrap();
    let kid_b = new["kid"].as_str().unwrap().to_owned();
    assert_ne!(kid_a, kid_b);

    // The server picks the new key up without a restart: published, not yet signing,
    // and the JWKS max-age runs no later than its activation.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = auth
            .client
            .get(auth.url("/oauth/jwks.json"))
            .send()
            .await
            .unwrap();
        let cc = res.headers()["cache-control"].to_str().unwrap().to_owned();
        let jwks: Value = res.json().await.unwrap();
        if jwks["keys"].as_array().unwrap().len() == 2 {
            let max_age: i64 = cc.trim_start_matches("public, max-age=").parse().unwrap();
            assert!(
                max_age <= activates_at - idmap_common::clock::now_unix() + 1,
                "{cc}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "rotated key never published");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, kid_still) = token(&auth, &id, &secret).await;
    assert_eq!(
        kid_still, kid_a,
        "the new key must not sign before its activation"
    );

    // Keep using token A while waiting for the activation.
    while idmap_common::clock::now_unix() <= activates_at {
        assert_eq!(lookup(&client, &idmap, &token_a).await, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (token_b, kid) = token(&auth, &id, &secret).await;
    assert_eq!(kid, kid_b, "the new key signs after its activation");

    // Tokens of both keys in flight at once.
    let before = jwks_served(&auth).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (client, idmap) = (client.clone(), idmap.clone());
        let t = if i % 2 == 0 {
            token_a.clone()
        } else {
            token_b.clone()
        };
        tasks.push(tokio::spawn(
            async move { lookup(&client, &idmap, &t).await },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let during = jwks_served(&auth).await - before;
    let total = jwks_served(&auth).await;
    let elapsed = started.elapsed().as_secs();
    println!(
        "JWKS fetches: {during} during 100 mixed-key requests, {total} in {elapsed} s overall"
    );
    assert!(during <= 1, "no refetch storm: {during}");
    // Roughly one fetch per cache lifetime (5 s floor in the verifier), plus
    // this test's own polling of the JWKS above (at most ~50).
    assert!(
        total <= 60 + elapsed / 5 + 3,
        "{total} fetches in {elapsed} s"
    );

    // `admin keys list` shows both with their schedule.
    let list = admin(&env, &["admin", "keys", "list"]);
    assert_eq!(key_states(&list), ["published", "signing"]);
    assert!(list[0]["retires_at"].as_i64().unwrap() >= activates_at + 3600);
}
