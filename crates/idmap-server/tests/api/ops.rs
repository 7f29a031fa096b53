//! Operational behaviour: health probes, fallback routes, readiness before
//! the JWKS loads, and concurrent submissions of the same new hash.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{hash, link_body, spawn_app, start_app};
use idmap_storage::testing::TestDatabase;

async fn error_of(r: reqwest::Response) -> (u16, Value) {
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn health_and_fallback_routes_answer_json(db: TestDatabase) {
    let app = spawn_app(db).await;
    for (method, path, status, error) in [
        (Method::GET, "/health/live", 200, None),
        (Method::GET, "/health/ready", 200, None),
        (Method::GET, "/nope", 404, Some("not_found")),
        (Method::GET, "/api/v1/link", 405, Some("method_not_allowed")),
        (Method::DELETE, "/api/save", 405, None),
    ] {
        let r = app.request(method, path).await;
        if let Some(error) = error {
            let (got, v) = error_of(r).await;
            assert_eq!((got, v["error"].as_str()), (status, Some(error)), "{path}");
        } else {
            assert_eq!(r.status(), status, "{path}");
        }
    }
}

async fn not_ready_and_503_until_the_jwks_has_loaded(db: TestDatabase) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let jwks_url = format!(
        "http://127.0.0.1:{}/jwks.json",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let app = start_app(db, &[("IDMAP_JWKS_URL", &jwks_url)]).await;
    let (status, v) = error_of(app.request(Method::GET, "/health/ready").await).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (503, Some("temporarily_unavailable"))
    );
    assert_eq!(app.request(Method::GET, "/health/live").await.status(), 200);
    let body = link_body(&[(None, &[("F_L_D_S", &hash(1))])]);
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    let (status, v) = error_of(r).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (503, Some("temporarily_unavailable"))
    );
    assert_eq!(app.counts().await["uuids"], 0);
}

async fn concurrent_submissions_of_the_same_new_hash_get_the_same_uuid(db: TestDatabase) {
    let app = spawn_app(db).await;
    let h = hash(42);
    let calls = (0..8).map(|i| {
        let partner = if i % 2 == 0 { "UFH" } else { "FLM" };
        let body = json!({"patients": [{"hashes": [{"rule": "F_L_D_S", "hash": h}, {"rule": "F_L_D_R", "hash": hash(1000 + i)}]}]});
        let token = app.issuer.link_token(partner);
        let app = &app;
        async move { app.post("/api/v1/link", Some(&token), &body).await.json::<Value>().await.unwrap() }
    });
    let answers: Vec<Value> = futures_util::future::join_all(calls).await;
    let first = &answers[0]["results"][0]["uuid"];
    assert!(first.is_string());
    assert!(
        answers.iter().all(|a| &a["results"][0]["uuid"] == first),
        "{answers:?}"
    );
    assert_eq!(app.counts().await["uuids"], 1);
}

per_backend!(
    health_and_fallback_routes_answer_json,
    not_ready_and_503_until_the_jwks_has_loaded,
    concurrent_submissions_of_the_same_new_hash_get_the_same_uuid,
);
