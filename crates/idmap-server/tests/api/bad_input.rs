//! Malformed requests to `/api/v1/link`: each a 4xx JSON error, and the
//! database exactly as before (row counts of every table compared).

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestPatient, hash, link_body, spawn_app_with};
use idmap_storage::testing::TestDatabase;

const FP: &str = "0123456789abcdef";

async fn app(db: TestDatabase) -> TestApp {
    let app = spawn_app_with(
        db,
        &[("IDMAP_MAX_PATIENTS", "3"), ("IDMAP_SALT_FINGERPRINTS", FP)],
    )
    .await;
    // Something stored, so "unchanged" is not trivially "empty".
    let body = json!({"patients": [
        {"ref": "a", "hashes": [{"rule": "F_L_D_S", "hash": hash(1)}]},
        {"ref": "b", "hashes": [{"rule": "F_L_D_S", "hash": hash(1)}, {"rule": "F_L_D_R", "hash": hash(2)}]}
    ], "salt_fingerprint": FP});
    app.link_ok("UFH", &body).await;
    app
}

async fn send_raw(
    app: &TestApp,
    body: impl Into<reqwest::Body>,
    content_type: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/api/v1/link", app.url))
        .bearer_auth(app.issuer.link_token("UFH"))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    req.send().await.unwrap()
}

async fn refused(r: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], error, "{v}");
    assert!(v["error_description"].is_string());
    v
}

fn with_fp(mut body: Value) -> Value {
    body["salt_fingerprint"] = json!(FP);
    body
}

async fn malformed_json_wrong_types_and_unknown_fields_are_request_level_400s(db: TestDatabase) {
    let app = app(db).await;
    let before = app.counts().await;
    for raw in [
        "{\"patients\": [",
        "not json",
        "",
        "{\"patients\": \"x\"}",
        "{\"patients\": [{\"hashes\": \"x\"}]}",
        "{\"patients\": [{\"ref\": 5, \"hashes\": []}]}",
        "{\"patients\": [{\"hashes\": [{\"rule\": 1, \"hash\": \"a\"}]}]}",
        "{\"patients\": [], \"extra\": true}",
        "{\"patients\": [{\"hashes\": [], \"name\": \"x\"}]}",
        "{\"patients\": [{\"hashes\": [{\"rule\": \"F_L_D_S\", \"hash\": \"a\", \"x\": 1}]}]}",
        "{}",
        "[]",
    ] {
        let r = send_raw(&app, raw, Some("application/json")).await;
        let v = refused(r, 400, "invalid_request").await;
        assert_eq!(v["details"], json!([]), "{raw}");
    }
    assert_eq!(app.counts().await, before);
}

async fn bad_items_are_listed_by_index_and_field(db: TestDatabase) {
    let app = app(db).await;
    let before = app.counts().await;
    let (good, h63, nonhex) = (
        hash(9),
        hash(9)[..63].to_owned(),
        format!("{}z", &hash(9)[..63]),
    );
    let long_ref = "r".repeat(129);
    let body = with_fp(link_body(&[
        (Some(""), &[("F_L_D_S", &good)]),
        (Some(&long_ref), &[("F_L_D_S", &good), ("F_L_D_S", &h63)]),
        (Some("a\u{1}b"), &[("F_L_D_X", &nonhex)]),
    ]));
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    let v = refused(r, 400, "invalid_request").await;
    let got: Vec<(u64, String)> = v["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["index"].as_u64().unwrap(),
                d["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        (0, "ref"),
        (1, "ref"),
        (1, "hashes[1].hash"),
        (2, "ref"),
        (2, "hashes[0].rule"),
        (2, "hashes[0].hash"),
    ];
    assert_eq!(got, want.map(|(i, f)| (i, f.to_owned())));
    assert!(
        v["details"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["message"].is_string())
    );

    let empty = with_fp(json!({"patients": [{"hashes": []}]}));
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &empty)
        .await;
    let v = refused(r, 400, "invalid_request").await;
    assert_eq!(
        v["details"],
        json!([{"index": 0, "field": "hashes", "message": "must not be empty"}])
    );

    let lower = with_fp(link_body(&[(None, &[("f_l_d_s", &good)])]));
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &lower)
        .await;
    let v = refused(r, 400, "invalid_request").await;
    assert_eq!(v["details"][0]["field"], "hashes[0].rule");
    assert_eq!(app.counts().await, before);
}

async fn too_many_patients_is_a_request_level_400(db: TestDatabase) {
    let app = app(db).await;
    let before = app.counts().await;
    let h = hash(5);
    let p: TestPatient<'_> = (None, &[("F_L_D_S", &h)]);
    let body = with_fp(link_body(&[p, p, p, p]));
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    let v = refused(r, 400, "invalid_request").await;
    assert_eq!(v["details"], json!([]));
    assert_eq!(app.counts().await, before);
}

async fn a_request_whose_last_patient_is_invalid_writes_nothing(db: TestDatabase) {
    let app = app(db).await;
    let before = app.counts().await;
    let (h7, h8) = (hash(7), hash(8));
    let body = with_fp(link_body(&[
        (Some("x"), &[("F_L_D_S", &h7)]),
        (Some("y"), &[("F_L_D_S", &h8)]),
        (Some("z"), &[("F_L_D_S", "00")]),
    ]));
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    let v = refused(r, 400, "invalid_request").await;
    assert_eq!(v["details"][0]["index"], 2);
    assert_eq!(app.counts().await, before);
}

async fn oversized_bodies_are_413_and_other_content_types_415(db: TestDatabase) {
    let app = app(db).await;
    let before = app.counts().await;
    let r = send_raw(
        &app,
        vec![b' '; 16 * 1024 * 1024 + 1],
        Some("application/json"),
    )
    .await;
    refused(r, 413, "request_too_large").await;
    let body = with_fp(link_body(&[(None, &[("F_L_D_S", &hash(3))])])).to_string();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
    ] {
        let r = send_raw(&app, body.clone(), Some(ct)).await;
        refused(r, 415, "unsupported_media_type").await;
    }
    assert_eq!(app.counts().await, before);
    // JSON with parameters is JSON; a missing Content-Type is read as JSON.
    let r = send_raw(&app, body.clone(), Some("application/json; charset=utf-8")).await;
    assert_eq!(r.status(), 200);
    let r = send_raw(&app, body, None).await;
    assert_eq!(r.status(), 200);
}

async fn salt_fingerprint_is_checked_when_configured(db: TestDatabase) {
    let app = app(db).await;
    let before = app.counts().await;
    let plain = link_body(&[(Some("n"), &[("F_L_D_S", &hash(4))])]);
    let token = app.issuer.link_token("UFH");
    let r = app.post("/api/v1/link", Some(&token), &plain).await;
    refused(r, 422, "salt_mismatch").await;
    let mut wrong = plain.clone();
    wrong["salt_fingerprint"] = json!("fedcba9876543210");
    let r = app.post("/api/v1/link", Some(&token), &wrong).await;
    refused(r, 422, "salt_mismatch").await;
    let mut malformed = plain.clone();
    malformed["salt_fingerprint"] = json!("xyz");
    let r = app.post("/api/v1/link", Some(&token), &malformed).await;
    refused(r, 400, "invalid_request").await;
    assert_eq!(app.counts().await, before);
    let mut right = plain;
    right["salt_fingerprint"] = json!(FP.to_uppercase());
    let r = app.post("/api/v1/link", Some(&token), &right).await;
    assert_eq!(r.status(), 200);
    // /api/save cannot carry a fingerprint and is exempt.
    let r = app
        .post(
            "/api/save",
            Some(&token),
            &json!({"data": {"0": {"1": hash(6)}}}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

per_backend!(
    malformed_json_wrong_types_and_unknown_fields_are_request_level_400s,
    bad_items_are_listed_by_index_and_field,
    too_many_patients_is_a_request_level_400,
    a_request_whose_last_patient_is_invalid_writes_nothing,
    oversized_bodies_are_413_and_other_content_types_415,
    salt_fingerprint_is_checked_when_configured,
);
