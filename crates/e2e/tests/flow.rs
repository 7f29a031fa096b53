//! The whole flow with both real services: a token from auth-server over
//! HTTP, validated by idmap-server against the JWKS it discovered itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idmap_e2e::{System, request_token};
use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;
use serde_json::{Value, json};

fn h(n: u32) -> String {
    format!("{:064x}", 0xe2e0_0000_u64 + u64::from(n))
}

async fn system() -> System {
    System::start(TestDatabase::create(Backend::Sqlite).unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_links_looks_up_and_saves_with_a_real_token() {
    let sys = system().await;
    let token = sys.client_token(Some("UFH"), "idmap:link").await.unwrap();

    let body = json!({"patients": [
        {"ref": "p1", "hashes": [{"rule": "F_L_D_S", "hash": h(1)}, {"rule": "F_L_D_R", "hash": h(2)}]},
        {"hashes": [{"rule": "F_L_D_S", "hash": h(3)}]}
    ]});
    let r = sys.api("/api/v1/link", Some(&token), &body).await.unwrap();
    assert_eq!(r.status(), 200);
    let linked: Value = r.json().await.unwrap();
    let u1 = linked["results"][0]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(linked["results"][0]["ref"], "p1");
    assert_eq!(linked["results"][1]["ref"], Value::Null);
    assert_eq!(u1.len(), 36);

    // The older clients' endpoint answers the same person with the dashless form.
    let save = json!({"data": {"0": {"1": h(2).to_uppercase()}, "1": {"1": h(9)}}});
    let r = sys.api("/api/save", Some(&token), &save).await.unwrap();
    assert_eq!(r.status(), 200);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["status"], "success");
    assert_eq!(saved["data"]["0"]["uuid"], u1.replace('-', ""));

    // Lookups need idmap:read, which partners do not get by default.
    let r = sys
        .api("/api/v1/lookup", Some(&token), &json!({"hashes": [h(1)]}))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let reader = sys.client_token(None, "idmap:read").await.unwrap();
    let r = sys
        .api(
            "/api/v1/lookup",
            Some(&reader),
            &json!({"hashes": [h(1), h(9), h(77)]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let found: Value = r.json().await.unwrap();
    assert_eq!(found["results"][0]["uuid"], u1.as_str());
    assert!(found["results"][1]["uuid"].is_string());
    assert_eq!(found["results"][2]["uuid"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_failures() {
    let sys = system().await;
    let (id, _) = sys.client(Some("UFH"), "idmap:link").await.unwrap();
    let bad_secret = request_token(&sys.http, &sys.auth_url, &id, "wrong")
        .await
        .unwrap();
    assert_eq!(bad_secret.status(), 401);
    assert!(
        bad_secret.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let body: Value = bad_secret.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let unknown = request_token(&sys.http, &sys.auth_url, "nobody", "x")
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let (id, secret) = sys.client(Some("UFH"), "idmap:link").await.unwrap();
    let grant = sys
        .http
        .post(format!("{}/oauth/token", sys.auth_url))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "urn:example:unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 400);
    assert_eq!(
        grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

fn www_authenticate(r: &reqwest::Response) -> String {
    r.headers()["www-authenticate"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_server_refuses_bad_tokens() {
    let sys = system().await;
    let body = json!({"patients": [{"hashes": [{"rule": "F_L_D_S", "hash": h(5)}]}]});
    let good = sys.client_token(Some("UFH"), "idmap:link").await.unwrap();

    let none = sys.api("/api/v1/link", None, &body).await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(www_authenticate(&none), r#"Bearer realm="idmap""#);

    // Audience of the issuer itself, not "idmap".
    let admin = sys.client_token(None, "admin").await.unwrap();
    let wrong_aud = sys.api("/api/v1/link", Some(&admin), &body).await.unwrap();
    assert_eq!(wrong_aud.status(), 401);
    assert!(www_authenticate(&wrong_aud).contains(r#"error="invalid_token""#));

    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut sig = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    sig[10] ^= 1;
    parts[2] = URL_SAFE_NO_PAD.encode(sig);
    let tampered = sys
        .api("/api/v1/link", Some(&parts.join(".")), &body)
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    assert!(www_authenticate(&tampered).contains("invalid_token"));

    let payload = good.split('.').nth(1).unwrap();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
    let alg_none = format!("{none_header}.{payload}.");
    let r = sys
        .api("/api/v1/link", Some(&alg_none), &body)
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A token from another authorization server (another issuer, other keys).
    let other = system().await;
    let foreign = other.client_token(Some("UFH"), "idmap:link").await.unwrap();
    let r = sys
        .api("/api/v1/link", Some(&foreign), &body)
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let read_only = sys.client_token(Some("UFH"), "idmap:read").await.unwrap();
    let r = sys
        .api("/api/v1/link", Some(&read_only), &body)
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(www_authenticate(&r).contains(r#"error="insufficient_scope""#));
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "insufficient_scope"
    );

    let internal = sys.client_token(None, "idmap:link").await.unwrap();
    let r = sys
        .api("/api/v1/link", Some(&internal), &body)
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "partner_required"
    );

    let r = sys.api("/api/v1/link", Some(&good), &body).await.unwrap();
    assert_eq!(r.status(), 200);
}
