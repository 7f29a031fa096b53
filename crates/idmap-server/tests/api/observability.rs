//! What operators watch: `/metrics` moves with traffic (HTTP counters and
//! histograms labelled by route pattern, links by outcome, pool and JWKS
//! figures), readiness follows the JWKS and stays up on cached keys when
//! auth-server goes down, and the real binary's JSON log line of a request
//! carries its request id.

use std::time::Duration;

use idmap_storage::testing::TestDatabase;
use idmap_web::testing::{free_port, request_finished_line};
use tokio::process::Command;

use crate::helpers::{Issuer, hash, link_body, sample, spawn_app};

const LINK_200: &str = r#"http_requests_total{method="POST",route="/api/v1/link",status="200"}"#;

async fn counters_move_after_a_link(db: TestDatabase) {
    let app = spawn_app(db).await;
    let before = app.metrics().await;
    let (h1, h2, h3) = (hash(1), hash(2), hash(3));
    let body = link_body(&[
        (Some("a"), &[("F_L_D_S", &h1)]),
        (Some("b"), &[("F_L_D_S", &h2)]),
    ]);
    app.link_ok("UFH", &body).await;
    // One matched (h1 is known), one new.
    let body = link_body(&[(None, &[("F_L_D_S", &h1)]), (None, &[("F_L_D_S", &h3)])]);
    app.link_ok("FLM", &body).await;
    let uuid_path = "/api/v1/admin/uuids/00000000-0000-4000-8000-000000000000";
    app.get_json(uuid_path, &app.issuer.admin_token()).await;
    let after = app.metrics().await;

    assert_eq!(sample(&after, LINK_200) - sample(&before, LINK_200), 2.0);
    let new = r#"idmap_link_patients_total{endpoint="link",outcome="new"}"#;
    let matched = r#"idmap_link_patients_total{endpoint="link",outcome="matched"}"#;
    assert_eq!(sample(&after, new) - sample(&before, new), 3.0, "{after}");
    assert_eq!(sample(&after, matched) - sample(&before, matched), 1.0);
    for bucket in ["0.005", "0.1", "1", "30", "+Inf"] {
        let series = format!(
            r#"http_request_duration_seconds_bucket{{method="POST",route="/api/v1/link",status="200",le="{bucket}"}}"#
        );
        assert!(after.contains(&series), "no bucket {bucket} in\n{after}");
    }
    assert_eq!(
        sample(
            &after,
            r#"http_request_duration_seconds_count{method="POST",route="/api/v1/link",status="200"}"#
        ),
        2.0
    );
    // The route label is the pattern, never the path with the UUID.
    assert!(
        after.contains(r#"route="/api/v1/admin/uuids/{uuid}""#),
        "{after}"
    );
    assert!(!after.contains("00000000-0000-4000"), "{after}");
    assert!(sample(&after, r#"idmap_jwks_refreshes_total{result="ok"}"#) >= 1.0);
    assert_eq!(sample(&after, "idmap_jwks_keys"), 1.0);
    assert_eq!(sample(&after, "idmap_db_pool_max_connections"), 4.0);
    assert!(after.contains(r#"idmap_db_pool_connections{state="in_use"}"#));
    assert!(after.contains(r#"idmap_db_pool_connections{state="idle"}"#));
}

async fn cached_keys_keep_it_ready_while_auth_server_is_down(db: TestDatabase) {
    let app = spawn_app(db).await;
    app.issuer.stop().await;
    let ready = app.request(reqwest::Method::GET, "/health/ready").await;
    assert_eq!(ready.status(), 200);
    let body = link_body(&[(None, &[("F_L_D_S", &hash(9))])]);
    app.link_ok("UFH", &body).await;
}

per_backend!(
    counters_move_after_a_link,
    cached_keys_keep_it_ready_while_auth_server_is_down,
);

/// The real binary with JSON logs: the line of a request carries the id
/// nginx would have sent, and so does the response.
#[tokio::test]
async fn json_log_line_of_a_request_carries_its_request_id() {
    let Some(db) = TestDatabase::create(idmap_storage::Backend::Sqlite) else {
        return;
    };
    let issuer = Issuer::start().await;
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_idmap-server"))
        .arg("serve")
        .env("IDMAP_LISTEN", format!("127.0.0.1:{port}"))
        .env("IDMAP_DATABASE_URL", db.url())
        .env("IDMAP_ISSUER", &issuer.url)
        .env("IDMAP_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let id = "e2e-7f3a9c";
    let mut answered = None;
    for _ in 0..400 {
        let r = http
            .post(format!("{url}/api/v1/link"))
            .bearer_auth(issuer.link_token("UFH"))
            .header("X-Request-Id", id)
            .json(&link_body(&[(None, &[("F_L_D_S", &hash(5))])]))
            .send()
            .await;
        if let Ok(r) = r
            && r.status() == 200
        {
            answered = Some(r.headers()["x-request-id"].to_str().unwrap().to_owned());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(answered.as_deref(), Some(id), "the link never succeeded");
    let found = request_finished_line(stderr, id).await;
    assert_eq!(found["fields"]["status"], 200, "{found}");
    assert_eq!(found["span"]["path"], "/api/v1/link", "{found}");
    child.kill().await.unwrap();
}
