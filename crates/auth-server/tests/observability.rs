//! What operators watch on auth-server, from the shared `idmap-web` crate
//! as on idmap-server: `/metrics` moves with traffic (tokens by grant,
//! refusals by error code, HTTP requests by route pattern, introspection
//! answers, JWKS documents, keys and pool gauges), and the real binary's
//! JSON log line of a request carries the request id nginx sent, which
//! also comes back in the response.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use support::flow::{CHALLENGE, VERIFIER};
use support::{TestApp, sample, spawn_app, test_env};
use tokio::io::{AsyncBufReadExt, BufReader};

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
    app.add_user("ann@example.org", "correct horse battery")
        .await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let cookie = app.login("ann@example.org", "correct horse battery").await;
    let code = app.code_for(&id, CB, CHALLENGE, &cookie).await;
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &id),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", pair["refresh_token"].as_str().unwrap()),
                ("client_id", &id),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
}

async fn introspect(app: &TestApp, basic: (&str, &str), token: &str) -> bool {
    let res = app
        .client
        .post(app.url("/oauth/introspect"))
        .basic_auth(basic.0, Some(basic.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["active"]
        .as_bool()
        .unwrap()
}

#[tokio::test]
async fn counters_move_with_tokens_refusals_introspections_and_jwks() {
    let app = spawn_app().await;
    let before = app.metrics().await;
    for grant in ["password", "implicit"] {
        assert!(before.contains(&issued(grant)), "{grant} not listed");
    }

    let (id, secret) = app.add_client(None, "idmap:read").await;
    let res = app
        .post_token(
            Some((&id, &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let access: Value = res.json().await.unwrap();
    code_and_refresh(&app).await;

    // Refused by the grant, by client authentication, and by the form
    // extractor before any handler ran.
    let res = app
        .post_token(Some((&id, &secret)), &[("grant_type", "urn:nope")])
        .await;
    assert_eq!(res.status(), 400);
    let res = app
        .post_token(
            Some((&id, "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
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
    assert!(introspect(&app, (&id, &secret), token).await);
    assert!(!introspect(&app, (&id, &secret), "not-a-token").await);
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let env = test_env(
        dir.path(),
        &[("AUTH_LISTEN", &listen), ("AUTH_LOG_FORMAT", "json")],
    );
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_auth-server"));
    for name in auth_server::config::ENV_VARS.iter().map(|v| v.name) {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .envs(&env)
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let http = reqwest::Client::new();
    let id = "e2e-4b1d7e";
    let mut answered = None;
    for _ in 0..400 {
        let r = http
            .post(format!("http://{listen}/oauth/token"))
            .header("X-Request-Id", id)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await;
        if let Ok(r) = r {
            let echoed = r.headers()["x-request-id"].to_str().unwrap().to_owned();
            answered = Some((r.status().as_u16(), echoed));
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (status, echoed) = answered.expect("the server never answered");
    assert_eq!(echoed, id);
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if v["span"]["request_id"] == id && v["fields"]["message"] == "request finished" {
                return v;
            }
        }
        panic!("log ended without the request's line");
    })
    .await
    .expect("no log line with the request id");
    assert_eq!(found["fields"]["status"], status, "{found}");
    assert_eq!(found["span"]["path"], "/oauth/token", "{found}");
    child.kill().await.unwrap();
}

/// A tmpfs on a fresh directory, unmounted (lazily: the server may still
/// hold its files) on drop; `None` after a notice when mounting is not
/// allowed outside CI.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            assert!(
                !idmap_storage::testing::in_ci(),
                "mounting a tmpfs is required under CI=true"
            );
            eprintln!("notice: skipping full-disk test: cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(Self(dir))
    }

    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.path().join("filler")).unwrap();
        for chunk in [vec![0u8; 256 * 1024], vec![0u8; 4096], vec![0u8; 512]] {
            while f.write_all(&chunk).is_ok() {}
        }
    }

    fn free(&self) {
        std::fs::remove_file(self.0.path().join("filler")).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

async fn ready(app: &TestApp) -> u16 {
    let res = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

/// A full disk under the SQLite database: admin writes get a 507
/// `storage_exhausted` with Retry-After, counted and reported by readiness,
/// until space is freed.
#[tokio::test]
async fn a_full_disk_is_storage_exhausted_until_space_is_freed() {
    let Some(disk) = Tmpfs::mount("16m") else {
        return;
    };
    let url = format!("sqlite://{}/auth.db", disk.0.path().display());
    let app = support::spawn_app_with(&[("AUTH_DATABASE_URL", &url)]).await;
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
    assert_eq!(ready(&app).await, 503);
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
    assert_eq!(ready(&app).await, 200);
}

/// A token request whose form body stalls is answered 408 and cut off
/// within `AUTH_BODY_TIMEOUT`.
#[tokio::test]
async fn a_stalled_token_request_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = support::spawn_app_with(&[("AUTH_BODY_TIMEOUT", "1")]).await;
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
