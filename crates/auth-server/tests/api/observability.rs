//! What operators watch on auth-server, from the shared `idmap-web` crate
//! as on idmap-server: `/metrics` moves with traffic (tokens by grant,
//! refusals by error code, HTTP requests by route pattern, introspection
//! answers, JWKS documents, keys and pool gauges), and the real binary's
//! JSON log line of a request carries the request id nginx sent, which
//! also comes back in the response.

use std::time::Duration;

use crate::support::process::{first_answer, serve, serve_env};
use crate::support::{TestApp, sample, spawn_app};
use idmap_storage::testing::Tmpfs;
use idmap_web::testing::request_finished_line;
use serde_json::Value;

const CB: &str = "https://app.example/cb";

fn issued(grant: &str) -> String {
    format!(r#"auth_tokens_issued_total{{grant="{grant}"}}"#)
}

fn refused(error: &str) -> String {
    format!(r#"auth_token_errors_total{{error="{error}"}}"#)
}

fn token_requests(status: u16) -> String {
    format!(r#"http_requests_total{{method="POST",route="/oauth/token",status="{status}"}}"#)
}

/// An authorization-code token pair of a public client, then one refresh.
async fn code_and_refresh(app: &TestApp) {
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let pair = app.code_tokens(&cookie, &id, CB, None).await;
    let (status, body) = app
        .refresh(&id, pair["refresh_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn counters_move_with_tokens_refusals_introspections_and_jwks() {
    let app = spawn_app().await;
    let before = app.metrics().await;
    for grant in ["password", "implicit"] {
        assert!(before.contains(&issued(grant)), "{grant} not listed");
    }

    let (id, secret) = app.add_client(None, "idmap:read").await;
    let res = app.client_grant(&id, &secret).await;
    assert_eq!(res.status(), 200);
    let access: Value = res.json().await.unwrap();
    code_and_refresh(&app).await;

    // Refused by the grant, by client authentication, and by the form
    // extractor before any handler ran.
    let res = app
        .post_token(Some((&id, &secret)), &[("grant_type", "urn:nope")])
        .await;
    assert_eq!(res.status(), 400);
    let res = app.client_grant(&id, "wrong").await;
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let token = access["access_token"].as_str().unwrap();
    assert!(app.introspect_active((&id, &secret), token).await);
    assert!(!app.introspect_active((&id, &secret), "not-a-token").await);
    app.jwks().await;

    let after = app.metrics().await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(delta(&issued("client_credentials")), 1.0, "{after}");
    assert_eq!(delta(&issued("authorization_code")), 1.0);
    assert_eq!(delta(&issued("refresh_token")), 1.0);
    assert_eq!(delta(&issued("password")), 0.0);
    assert_eq!(delta(&refused("unsupported_grant_type")), 1.0, "{after}");
    assert_eq!(delta(&refused("invalid_client")), 1.0);
    assert_eq!(delta(&refused("invalid_request")), 1.0);
    assert_eq!(delta(&token_requests(200)), 3.0);
    assert_eq!(delta(&token_requests(400)), 2.0);
    assert_eq!(delta(&token_requests(401)), 1.0);
    assert_eq!(delta(r#"auth_introspections_total{result="active"}"#), 1.0);
    assert_eq!(
        delta(r#"auth_introspections_total{result="inactive"}"#),
        1.0
    );
    assert_eq!(delta("auth_jwks_requests_total"), 1.0);
    assert_eq!(sample(&after, "auth_jwks_keys"), 1.0);
    assert_eq!(sample(&after, "auth_db_pool_max_connections"), 4.0);
    assert!(after.contains(r#"auth_db_pool_connections{state="in_use"}"#));
    assert!(after.contains(r#"auth_db_pool_connections{state="idle"}"#));
    // Route labels are patterns, and latency is recorded per route.
    assert!(after.contains(
        r#"http_request_duration_seconds_count{method="POST",route="/oauth/token",status="200"} 3"#
    ));
    assert!(after.contains(r#"route="/oauth/jwks.json""#));
}

/// The real binary with `AUTH_LOG_FORMAT=json`: the line of a request
/// carries the id nginx would have sent, and so does the response. (An
/// in-process server logs from its worker threads, out of reach of a
/// thread-scoped subscriber, hence the child process.)
#[tokio::test]
async fn json_log_line_of_a_request_carries_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (base, env) = serve_env(dir.path(), &[("AUTH_LOG_FORMAT", "json")]);
    let mut child = serve(&env);
    let stderr = child.stderr.take().unwrap();
    let http = reqwest::Client::new();
    let id = "e2e-4b1d7e";
    let r = first_answer(|| {
        http.post(format!("{base}/oauth/token"))
            .header("X-Request-Id", id)
            .form(&[("grant_type", "client_credentials")])
    })
    .await;
    let status = r.status().as_u16();
    assert_eq!(r.headers()["x-request-id"], id);
    let found = request_finished_line(stderr, id).await;
    assert_eq!(found["fields"]["status"], status, "{found}");
    assert_eq!(found["span"]["path"], "/oauth/token", "{found}");
    child.kill().await.unwrap();
}

/// A full disk under the SQLite database: admin writes get a 507
/// `storage_exhausted` with Retry-After, counted and reported by readiness,
/// until space is freed.
#[tokio::test]
async fn a_full_disk_is_storage_exhausted_until_space_is_freed() {
    let Some(disk) = Tmpfs::mount("16m") else {
        return;
    };
    let url = format!("sqlite://{}/auth.db", disk.path().display());
    let app = crate::support::spawn_app_with(&[("AUTH_DATABASE_URL", &url)]).await;
    let token = app.admin_token().await;
    disk.fill();
    let mut refused = (200, Value::Null);
    for n in 0..50 {
        let name = "x".repeat(200);
        refused = app
            .admin_call(
                Some(&token),
                reqwest::Method::POST,
                "/partners",
                Some(serde_json::json!({"code": format!("P{n}"), "name": name})),
            )
            .await;
        if refused.0 != 201 {
            break;
        }
    }
    assert_eq!(refused.0, 507, "{}", refused.1);
    assert_eq!(refused.1["error"], "storage_exhausted");
    assert_eq!(app.ready().await, 503);
    let metrics = app.metrics().await;
    assert!(
        sample(
            &metrics,
            r#"auth_db_errors_total{kind="storage_exhausted"}"#
        ) >= 1.0,
        "{metrics}"
    );
    assert_eq!(sample(&metrics, "auth_db_writes_failing"), 1.0);

    // A write transaction that commits ends the episode.
    disk.free();
    let (status, body) = app
        .admin_call(
            Some(&token),
            reqwest::Method::POST,
            "/clients",
            Some(serde_json::json!({"scope": "idmap:read", "name": "after"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.ready().await, 200);
}

/// A token request whose form body stalls is answered 408 and cut off
/// within `AUTH_BODY_TIMEOUT`.
#[tokio::test]
async fn a_stalled_token_request_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::support::spawn_app_with(&[("AUTH_BODY_TIMEOUT", "1")]).await;
    let mut s = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(
        b"POST /oauth/token HTTP/1.1\r\nHost: auth\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ngrant_type=cli",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(4), s.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(read.is_ok(), "connection still open: {answer}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}
