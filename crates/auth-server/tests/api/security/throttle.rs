//! Throttling that cannot be turned against its victims: failures count
//! per (client, address), a client attacked from many addresses is slowed
//! but its right secret passes, counts are shared by every replica on one
//! database, and the password grant is throttled like the login form.

use std::sync::Arc;

use idmap_storage::testing::all_backends;
use serde_json::Value;

use crate::support::{PASSWORD, TestApp, spawn_app_on, spawn_app_with, status_of};

/// A client-credentials request from `address` (believed from the trusted
/// loopback proxy); the status.
async fn attempt(app: &TestApp, id: &str, secret: &str, address: &str) -> u16 {
    let post = app.client_post(
        "/oauth/token",
        (id, secret),
        &[("grant_type", "client_credentials")],
    );
    status_of(post.header("x-forwarded-for", address)).await
}

#[tokio::test]
async fn an_attacker_locks_out_only_its_own_address() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMIT_CLIENT_FAILURES", "5"),
        ("AUTH_RATE_LIMIT_IP_FAILURES", "100"),
    ])
    .await;
    let (victim, secret) = app.add_client(None, "idmap:read").await;
    let mut flood = Vec::new();
    for _ in 0..12 {
        flood.push(attempt(&app, &victim, "wrong", "203.0.113.7").await);
    }
    assert_eq!(flood[..5], [401; 5]);
    assert!(flood[5..].iter().all(|s| *s == 429), "{flood:?}");
    // Client ids are public; the victim, elsewhere, is not locked out.
    assert_eq!(attempt(&app, &victim, &secret, "198.51.100.20").await, 200);
    assert_eq!(attempt(&app, &victim, "typo", "198.51.100.21").await, 401);
    assert_eq!(attempt(&app, &victim, &secret, "203.0.113.7").await, 429);
}

#[tokio::test]
async fn a_guesser_on_many_addresses_is_slowed_and_the_right_secret_passes() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMIT_CLIENT_FAILURES", "3"),
        ("AUTH_RATE_LIMIT_CLIENT_CEILING", "9"),
        ("AUTH_RATE_LIMIT_IP_FAILURES", "100"),
    ])
    .await;
    let (victim, secret) = app.add_client(None, "idmap:read").await;
    for i in 1..=3 {
        for _ in 0..3 {
            assert_eq!(
                attempt(&app, &victim, "guess", &format!("10.9.0.{i}")).await,
                401
            );
        }
    }
    // Past the ceiling every further address gets one failure per window.
    for i in 4..=8 {
        let address = format!("10.9.0.{i}");
        assert_eq!(
            attempt(&app, &victim, "guess", &address).await,
            401,
            "{address}"
        );
        assert_eq!(
            attempt(&app, &victim, "guess", &address).await,
            429,
            "{address}"
        );
    }
    assert_eq!(attempt(&app, &victim, &secret, "10.9.0.99").await, 200);
    assert_eq!(attempt(&app, &victim, &secret, "192.0.2.1").await, 200);
}

/// Two auth-server instances on one database (SQLite always; PostgreSQL
/// and MariaDB when their servers run): an address alternating between
/// them gets the limit plus one failure (the replica that has not counted
/// yet learns of the block from its own first failure), not the limit on
/// each.
#[tokio::test]
async fn replicas_on_one_database_share_the_counts() {
    for db in all_backends() {
        let backend = db.backend();
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let extra = [
            ("AUTH_RATE_LIMIT_CLIENT_FAILURES", "5"),
            ("AUTH_RATE_LIMIT_IP_FAILURES", "100"),
        ];
        let a = spawn_app_on(&db, dir.clone(), &extra).await;
        let b = spawn_app_on(&db, dir, &extra).await;
        let (id, secret) = a.add_client(None, "idmap:read").await;
        let mut statuses = Vec::new();
        for i in 0..20 {
            let replica = if i % 2 == 0 { &a } else { &b };
            statuses.push(attempt(replica, &id, "wrong", "203.0.113.9").await);
        }
        let failures = statuses.iter().filter(|s| **s == 401).count();
        assert_eq!(failures, 6, "{backend:?}: {statuses:?}");
        assert!(
            statuses[6..].iter().all(|s| *s == 429),
            "{backend:?}: {statuses:?}"
        );
        for replica in [&a, &b] {
            assert_eq!(
                attempt(replica, &id, &secret, "203.0.113.10").await,
                200,
                "{backend:?}"
            );
        }
    }
}

/// Wrong passwords through the password grant count like wrong passwords
/// on the login form, into the same budget.
#[tokio::test]
async fn the_password_grant_is_throttled_like_the_login_form() {
    let app = spawn_app_with(&[
        ("AUTH_ENABLE_PASSWORD_GRANT", "true"),
        ("AUTH_LOGIN_FAILURES", "3"),
    ])
    .await;
    app.add_user("ann@example.org", PASSWORD).await;
    let (id, secret) = app
        .add_app_client(false, "profile", "https://app.example/cb")
        .await;
    let secret = secret.unwrap();
    let grant = |password: &'static str, address: &'static str| {
        let (app, id, secret) = (&app, id.clone(), secret.clone());
        async move {
            let res = app
                .client
                .post(app.url("/oauth/token"))
                .basic_auth(&id, Some(&secret))
                .header("x-forwarded-for", address)
                .form(&[
                    ("grant_type", "password"),
                    ("username", "ann@example.org"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body["error"].as_str().unwrap_or("").to_owned())
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(grant("wrong wrong wrong", "203.0.113.50").await.0);
    }
    assert_eq!(statuses, [400, 400, 400, 429, 429]);
    assert_eq!(
        grant(PASSWORD, "203.0.113.50").await.0,
        429,
        "blocked even with the password"
    );

    // The login form from that address is blocked too: one budget.
    assert_eq!(
        app.login_from("203.0.113.50", "ann@example.org", PASSWORD)
            .await,
        429
    );

    // The account's owner elsewhere is not locked out.
    assert_eq!(grant(PASSWORD, "198.51.100.60").await.0, 200);
}
