//! A bounded flood of wrong secrets from a local client: refused with 429
//! and `Retry-After` once over the threshold, cheaply, while a well-behaved
//! client keeps getting tokens. Only failures count.

use std::time::Instant;

use crate::support::spawn_app_with;
use serde_json::Value;

/// Requests of the flood (bounded, all to loopback).
const FLOOD: usize = 200;

#[tokio::test]
async fn a_flood_of_bad_secrets_is_throttled_and_good_clients_are_not() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMIT_CLIENT_FAILURES", "5"),
        ("AUTH_RATE_LIMIT_IP_FAILURES", "20"),
        ("AUTH_RATE_LIMIT_WINDOW", "60"),
    ])
    .await;
    let (good, good_secret) = app.add_client(None, "idmap:read").await;
    let (victim, _) = app.add_client(None, "idmap:read").await;

    // The attacker sits behind the trusted proxy (loopback), so its
    // address comes from X-Forwarded-For; the good client connects directly.
    let started = Instant::now();
    let mut statuses = Vec::new();
    for i in 0..FLOOD {
        let res = app
            .client
            .post(app.url("/oauth/token"))
            .basic_auth(&victim, Some("wrong"))
            .header("x-forwarded-for", "203.0.113.7")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        if status == 429 {
            let wait: u64 = res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&wait));
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "rate_limited");
        }
        statuses.push(status);
        if i % 20 == 0 {
            let ok = app.client_grant(&good, &good_secret).await;
            assert_eq!(ok.status(), 200, "the good client is never throttled");
        }
    }
    let elapsed = started.elapsed();
    assert!(
        statuses[..5].iter().all(|s| *s == 401),
        "{:?}",
        &statuses[..6]
    );
    assert!(statuses[5..].iter().all(|s| *s == 429));
    println!("flood of {FLOOD} bad secrets answered in {elapsed:?}");

    // A spray over many client ids from the same address hits the IP limit.
    let mut spray = Vec::new();
    for i in 0..30 {
        let res = app
            .client
            .post(app.url("/oauth/token"))
            .basic_auth(format!("spray-{i}"), Some("wrong"))
            .header("x-forwarded-for", "198.51.100.9")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        spray.push(res.status().as_u16());
    }
    assert_eq!(spray.iter().filter(|s| **s == 401).count(), 20);
    assert!(spray[20..].iter().all(|s| *s == 429));

    // Without a proxy: an attacker on the good client's own address (one
    // NAT) floods with many client ids; the IP gets blocked for unknown ids,
    // while the good client, known-good from its recent success, goes on.
    let app2 = spawn_app_with(&[
        ("AUTH_RATE_LIMIT_CLIENT_FAILURES", "5"),
        ("AUTH_RATE_LIMIT_IP_FAILURES", "20"),
    ])
    .await;
    let (good2, good2_secret) = app2.add_client(None, "idmap:read").await;
    let ok = app2.client_grant(&good2, &good2_secret).await;
    assert_eq!(ok.status(), 200);
    let mut same_ip = Vec::new();
    for i in 0..60 {
        let res = app2
            .post_token(
                Some((&format!("nat-{}", i % 12), "wrong")),
                &[("grant_type", "client_credentials")],
            )
            .await;
        same_ip.push(res.status().as_u16());
        let ok = app2.client_grant(&good2, &good2_secret).await;
        assert_eq!(
            ok.status(),
            200,
            "the good client on the same address is never throttled"
        );
    }
    assert_eq!(same_ip.iter().filter(|s| **s == 401).count(), 20);
    assert!(same_ip[20..].iter().all(|s| *s == 429));

    // Introspection is limited the same way: the attacker's address stays
    // blocked for that client there too.
    let res = app
        .client
        .post(app.url("/oauth/introspect"))
        .basic_auth(&victim, Some("wrong"))
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn the_limit_can_be_switched_off_for_benchmarks() {
    let app = spawn_app_with(&[("AUTH_RATE_LIMIT_ENABLED", "false")]).await;
    let (id, _) = app.add_client(None, "idmap:read").await;
    for _ in 0..30 {
        let res = app.client_grant(&id, "wrong").await;
        assert_eq!(res.status(), 401);
    }
}
