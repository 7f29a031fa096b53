//! `POST /api/save`, the older clients' endpoint.

use serde_json::{Value, json};

use crate::helpers::{hash, spawn_app};
use idmap_storage::testing::TestDatabase;

fn is_simple_lowercase_hex(u: &str) -> bool {
    u.len() == 32
        && u.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn save_processes_entries_and_hashes_in_numeric_order_and_answers_32_hex(db: TestDatabase) {
    let app = spawn_app(db).await;
    let token = app.issuer.link_token("UFH");
    let (hx, hy, hn) = (hash(1), hash(2), hash(3));
    let xy = app
        .link_ok(
            "FLM",
            &json!({"patients": [
                {"hashes": [{"rule": "F_L_D_S", "hash": hx}]},
                {"hashes": [{"rule": "F_L_D_S", "hash": hy}]}
            ]}),
        )
        .await;
    let (x, y) = (xy[0].replace('-', ""), xy[1].replace('-', ""));

    // Numeric order: "2" binds hn to a new UUID before "10" sees it, so "10"
    // (hx first) answers X while "2" keeps its own. In string order "10"
    // would come first and bind hn to X.
    let body = json!({"data": {"10": {"1": hx, "2": hn}, "2": {"1": hn}}});
    let r = app.post("/api/save", Some(&token), &body).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "success");
    let data = v["data"].as_object().unwrap();
    assert_eq!(data.len(), 2);
    for entry in data.values() {
        assert!(
            is_simple_lowercase_hex(entry["uuid"].as_str().unwrap()),
            "{entry}"
        );
    }
    assert_eq!(data["10"]["uuid"], x.as_str());
    assert_ne!(data["2"]["uuid"], x.as_str());
    assert_ne!(data["2"]["uuid"], y.as_str());

    // Hashes by numeric key: "2" (hx) has priority over "10" (hy).
    let body = json!({"data": {"0": {"10": hy, "2": hx}}});
    let v: Value = app
        .post("/api/save", Some(&token), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["data"]["0"]["uuid"], x.as_str());

    // No rule and no ref are recorded for these hashes.
    let counts = app.counts().await;
    assert_eq!(counts["bindings"], 3);
    assert_eq!(counts["patient_refs"], 0);
    assert_eq!(counts["conflicts"], 2, "(X, N) and (X, Y)");
}

async fn save_with_empty_data_answers_empty_success(db: TestDatabase) {
    let app = spawn_app(db).await;
    let r = app
        .post(
            "/api/save",
            Some(&app.issuer.link_token("UFH")),
            &json!({"data": {}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"status": "success", "data": {}}));
}

async fn save_refuses_bad_labels_empty_entries_and_bad_hashes_writing_nothing(db: TestDatabase) {
    let app = spawn_app(db).await;
    let token = app.issuer.link_token("UFH");
    let before = app.counts().await;
    for body in [
        json!({"data": {"0": {"1": hash(1)}, "x": {"1": hash(2)}}}),
        json!({"data": {"0": {"1": hash(1)}, "-1": {"1": hash(2)}}}),
        json!({"data": {"0": {"1": hash(1)}, "1": {}}}),
        json!({"data": {"0": {"1": hash(1)}, "1": {"1": "abc"}}}),
        json!({"data": {"0": {"1": hash(1)}, "1": {"1": 5}}}),
        json!({"data": {"0": {"1": hash(1)}}, "extra": 1}),
        json!({"data": [1, 2]}),
    ] {
        let r = app.post("/api/save", Some(&token), &body).await;
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "error", "{body}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(app.counts().await, before);
}

async fn save_authentication_errors_use_the_standard_envelope(db: TestDatabase) {
    let app = spawn_app(db).await;
    let r = app.post("/api/save", None, &json!({"data": {}})).await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_token");
    let partnerless = app.issuer.sign(&app.issuer.claims("idmap:link", None));
    let r = app
        .post("/api/save", Some(&partnerless), &json!({"data": {}}))
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "partner_required");
}

per_backend!(
    save_processes_entries_and_hashes_in_numeric_order_and_answers_32_hex,
    save_with_empty_data_answers_empty_success,
    save_refuses_bad_labels_empty_entries_and_bad_hashes_writing_nothing,
    save_authentication_errors_use_the_standard_envelope,
);
