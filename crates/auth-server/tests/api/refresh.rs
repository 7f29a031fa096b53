//! Refresh tokens: rotation on every use, reuse revokes the family, and
//! the rotation is one compare-and-swap: of many concurrent presentations
//! of one token exactly one gets a new pair.
//!
//! Decision (documented in docs/oauth.md): a concurrent second presentation
//! is indistinguishable from a replay by a thief, so the losers trigger the
//! reuse rule and the whole family is revoked, including the pair the
//! winner just received. The client must then authorize again.

use serde_json::Value;

use crate::support::{TestApp, spawn_app};

const CB: &str = "https://app.example/cb";

/// A public client and the token pair of its first code exchange.
async fn first_pair(app: &TestApp) -> (String, Value) {
    let cookie = app.signed_in("bob@example.org").await;
    let (id, _) = app.add_app_client(true, "idmap:read profile", CB).await;
    let pair = app.code_tokens(&cookie, &id, CB, None).await;
    (id, pair)
}

#[tokio::test]
async fn every_use_rotates_and_a_reused_token_revokes_the_family() {
    let app = spawn_app().await;
    let (id, first) = first_pair(&app).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = app.refresh(&id, r1, None).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    // Narrower scope on refresh is allowed, wider is not.
    let (status, body) = app.refresh(&id, r2, Some("admin")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    // Replaying r1: invalid_grant, and r2 (and its access token) die with the family.
    let (status, body) = app.refresh(&id, r1, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = app.refresh(&id, r2, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(!app.active(second["access_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn another_clients_token_is_invalid_grant_without_revoking() {
    let app = spawn_app().await;
    let (id, first) = first_pair(&app).await;
    let (other, _) = app.add_app_client(true, "profile", CB).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let (status, body) = app.refresh(&other, r1, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = app.refresh(&id, r1, None).await;
    assert_eq!(
        status, 200,
        "a foreign presentation must not burn the owner's token"
    );
}

#[tokio::test]
async fn concurrent_presentations_yield_exactly_one_new_pair() {
    const N: usize = 24;
    let app = spawn_app().await;
    let (id, first) = first_pair(&app).await;
    let token = first["refresh_token"].as_str().unwrap().to_owned();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = Vec::new();
    for _ in 0..N {
        let (url, id, token, barrier) = (
            app.url("/oauth/token"),
            id.clone(),
            token.clone(),
            barrier.clone(),
        );
        let client = reqwest::Client::new();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let res = client
                .post(url)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("client_id", &id),
                ])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    let mut losers = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => winners.push(body),
            400 => {
                assert_eq!(body["error"], "invalid_grant");
                losers += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one new pair");
    assert_eq!(losers, N - 1);
    // The reuse rule then revoked the family: the winner's new refresh token is dead too.
    let new_refresh = winners[0]["refresh_token"].as_str().unwrap();
    let (status, body) = app.refresh(&id, new_refresh, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        !app.active(winners[0]["access_token"].as_str().unwrap())
            .await
    );
}
