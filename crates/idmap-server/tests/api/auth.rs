//! Token, scope and partner checks, and the order of all checks.

use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};

use crate::helpers::{TestApp, hash, link_body, now, spawn_app, spawn_app_with};
use idmap_storage::testing::TestDatabase;

fn one_patient() -> Value {
    link_body(&[(Some("a"), &[("F_L_D_S", &hash(1))])])
}

async fn expect(r: reqwest::Response, status: u16, error: &str) -> (Option<String>, Value) {
    let www = r
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(r.status().as_u16(), status);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], error, "{v}");
    (www, v)
}

async fn expect_invalid_token(app: &TestApp, token: &str) {
    let r = app.post("/api/v1/link", Some(token), &one_patient()).await;
    let (www, _) = expect(r, 401, "invalid_token").await;
    let www = www.unwrap();
    assert!(
        www.starts_with("Bearer realm=\"idmap\", error=\"invalid_token\", error_description=\""),
        "{www}"
    );
}

async fn missing_token_is_401_with_a_bare_challenge(db: TestDatabase) {
    let app = spawn_app(db).await;
    for path in ["/api/v1/link", "/api/v1/lookup", "/api/save"] {
        let r = app.post(path, None, &json!({})).await;
        let (www, v) = expect(r, 401, "invalid_token").await;
        assert_eq!(www.as_deref(), Some("Bearer realm=\"idmap\""));
        assert!(
            v["error_description"]
                .as_str()
                .unwrap()
                .contains("no bearer token")
        );
    }
    let r = app
        .http
        .post(format!("{}/api/v1/link", app.url))
        .basic_auth("u", Some("p"))
        .json(&one_patient())
        .send()
        .await
        .unwrap();
    let (www, _) = expect(r, 401, "invalid_token").await;
    assert_eq!(www.as_deref(), Some("Bearer realm=\"idmap\""));
    assert_eq!(app.counts().await["uuids"], 0);
}

async fn invalid_tokens_are_401_invalid_token(db: TestDatabase) {
    let app = spawn_app(db).await;
    let iss = &app.issuer;

    let mut expired = iss.claims("idmap:link", Some("UFH"));
    expired.exp = now() - 3600;
    expired.iat = now() - 7200;
    expired.nbf = now() - 7200;
    expect_invalid_token(&app, &iss.sign(&expired)).await;

    let mut audience = iss.claims("idmap:link", Some("UFH"));
    audience.aud = idmap_common::Audience::One("other".into());
    expect_invalid_token(&app, &iss.sign(&audience)).await;

    let mut issuer = iss.claims("idmap:link", Some("UFH"));
    issuer.iss = "http://elsewhere.example".into();
    expect_invalid_token(&app, &iss.sign(&issuer)).await;

    let good = iss.link_token("UFH");
    let (head, sig) = good.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{head}.{flipped}{}", &sig[1..]);
    expect_invalid_token(&app, &tampered).await;

    let mut parts: Vec<&str> = good.split('.').collect();
    let mut claims = iss.claims("idmap:link", Some("UFH"));
    claims.scope = "idmap:link idmap:admin".into();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_string(&claims).unwrap(),
    );
    parts[1] = &forged_payload;
    expect_invalid_token(&app, &parts.join(".")).await;

    expect_invalid_token(
        &app,
        &iss.sign_with_other_key(&iss.claims("idmap:link", Some("UFH"))),
    )
    .await;
    expect_invalid_token(&app, &iss.unsigned(&iss.claims("idmap:link", Some("UFH")))).await;
    expect_invalid_token(&app, "not-a-jwt").await;

    let counts = app.counts().await;
    assert_eq!((counts["uuids"], counts["bindings"]), (0, 0));
}

async fn missing_scope_is_403_insufficient_scope(db: TestDatabase) {
    let app = spawn_app(db).await;
    let read_only = app
        .issuer
        .sign(&app.issuer.claims("idmap:read", Some("UFH")));
    let r = app
        .post("/api/v1/link", Some(&read_only), &one_patient())
        .await;
    let (www, _) = expect(r, 403, "insufficient_scope").await;
    assert_eq!(
        www.as_deref(),
        Some("Bearer realm=\"idmap\", error=\"insufficient_scope\", scope=\"idmap:link\"")
    );
    let r = app
        .post("/api/save", Some(&read_only), &json!({"data": {}}))
        .await;
    expect(r, 403, "insufficient_scope").await;
    let r = app
        .lookup_as(&app.issuer.link_token("UFH"), &json!([]))
        .await;
    let (www, _) = expect(r, 403, "insufficient_scope").await;
    assert!(www.unwrap().ends_with("scope=\"idmap:read\""));
}

async fn a_token_without_partner_is_403_partner_required(db: TestDatabase) {
    let app = spawn_app(db).await;
    let internal = app.issuer.sign(&app.issuer.claims("idmap:link", None));
    let r = app
        .post("/api/v1/link", Some(&internal), &one_patient())
        .await;
    expect(r, 403, "partner_required").await;
    assert_eq!(app.counts().await["uuids"], 0);
}

async fn checks_run_in_the_documented_order(db: TestDatabase) {
    let app = spawn_app_with(db, &[("IDMAP_SALT_FINGERPRINTS", "0123456789abcdef")]).await;
    let iss = &app.issuer;
    let oversized = vec![b' '; 17 * 1024 * 1024];
    let send = |token: Option<String>, body: Vec<u8>, content_type: &'static str| {
        let mut req = app
            .http
            .post(format!("{}/api/v1/link", app.url))
            .header("Content-Type", content_type)
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    // No token beats an oversized body, a wrong content type and bad JSON.
    let r = send(None, oversized.clone(), "text/plain").await.unwrap();
    expect(r, 401, "invalid_token").await;
    // Missing scope beats the body.
    let read_only = iss.sign(&iss.claims("idmap:read", Some("UFH")));
    let r = send(Some(read_only), oversized.clone(), "text/plain")
        .await
        .unwrap();
    expect(r, 403, "insufficient_scope").await;
    // Missing partner beats the body.
    let internal = iss.sign(&iss.claims("idmap:link", None));
    let r = send(Some(internal), oversized.clone(), "text/plain")
        .await
        .unwrap();
    expect(r, 403, "partner_required").await;
    // Size beats content type.
    let token = iss.link_token("UFH");
    let r = send(Some(token.clone()), oversized, "text/plain")
        .await
        .unwrap();
    expect(r, 413, "request_too_large").await;
    // Content type beats validation.
    let r = send(Some(token.clone()), b"{".to_vec(), "text/plain")
        .await
        .unwrap();
    expect(r, 415, "unsupported_media_type").await;
    // Validation beats the salt fingerprint.
    let bad = link_body(&[(None, &[("F_L_D_S", "xyz")])])
        .to_string()
        .into_bytes();
    let r = send(Some(token.clone()), bad, "application/json")
        .await
        .unwrap();
    expect(r, 400, "invalid_request").await;
    // Finally the fingerprint.
    let good = one_patient().to_string().into_bytes();
    let r = send(Some(token), good, "application/json").await.unwrap();
    expect(r, 422, "salt_mismatch").await;
    let counts = app.counts().await;
    assert_eq!((counts["uuids"], counts["bindings"]), (0, 0));
}

per_backend!(
    missing_token_is_401_with_a_bare_challenge,
    invalid_tokens_are_401_invalid_token,
    missing_scope_is_403_insufficient_scope,
    a_token_without_partner_is_403_partner_required,
    checks_run_in_the_documented_order,
);
