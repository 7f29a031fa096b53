//! Metadata (RFC 8414), JWK Set (RFC 7517), health endpoints, and signing
//! keys that survive restarts and concurrent first starts.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::process::auth_server_command;
use crate::support::{ISSUER, spawn_app, spawn_app_in, spawn_app_with, test_env};
use serde_json::{Value, json};

#[tokio::test]
async fn metadata_lists_exactly_what_is_implemented() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{ISSUER}/oauth/authorize"),
            "token_endpoint": format!("{ISSUER}/oauth/token"),
            "jwks_uri": format!("{ISSUER}/oauth/jwks.json"),
            "introspection_endpoint": format!("{ISSUER}/oauth/introspect"),
            "revocation_endpoint": format!("{ISSUER}/oauth/revoke"),
            "userinfo_endpoint": format!("{ISSUER}/oauth/userinfo"),
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["idmap:link", "idmap:read", "idmap:admin", "admin", "introspect", "profile", "groups"],
            "authorization_response_iss_parameter_supported": false,
        })
    );
}

#[tokio::test]
async fn metadata_follows_the_grant_switches() {
    let app = spawn_app_with(&[
        ("AUTH_ENABLE_PASSWORD_GRANT", "true"),
        ("AUTH_ENABLE_IMPLICIT_GRANT", "true"),
    ])
    .await;
    let body = app
        .get_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(
        body["grant_types_supported"],
        json!([
            "authorization_code",
            "client_credentials",
            "refresh_token",
            "password",
            "implicit"
        ])
    );
    assert_eq!(body["response_types_supported"], json!(["code", "token"]));
}

#[tokio::test]
async fn issuer_trailing_slash_does_not_double_up() {
    let app = spawn_app_with(&[("AUTH_ISSUER", "https://auth.example/")]).await;
    let body = app
        .get_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(body["issuer"], "https://auth.example");
    assert_eq!(body["token_endpoint"], "https://auth.example/oauth/token");
}

#[tokio::test]
async fn jwks_publishes_public_keys_with_cache_control() {
    let app = spawn_app_with(&[("AUTH_JWKS_MAX_AGE", "42")]).await;
    let res = app
        .client
        .get(app.url("/oauth/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=42");
    let body: Value = res.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().unwrap();
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert!(key["kid"].as_str().unwrap().len() >= 43);
    assert!(key["n"].as_str().unwrap().len() > 300);
    assert_eq!(key["e"], "AQAB");
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(!key.contains_key(private));
    }

    let ec = spawn_app_with(&[("AUTH_SIGNING_ALG", "ES256")]).await;
    let body = ec.get_json("/oauth/jwks.json").await;
    let key = &body["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert!(key["x"].is_string() && key["y"].is_string() && key.get("d").is_none());
}

#[tokio::test]
async fn health_endpoints_answer_json() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"status": "ok"}));
        let res = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert!(!res.headers()["x-request-id"].is_empty());
}

#[tokio::test]
async fn keys_persist_across_restarts() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let first = spawn_app_in(dir.clone(), &[]).await;
    let (id, secret) = first.add_client(None, "idmap:read").await;
    let kid = first.jwks().await.keys[0].common.key_id.clone();

    let second = spawn_app_in(dir.clone(), &[]).await;
    assert_eq!(second.jwks().await.keys[0].common.key_id, kid);
    // The client-secret key persisted too: the old secret still works.
    let res = second.client_grant(&id, &secret).await;
    assert_eq!(res.status(), 200);
}

/// Starts `auth-server serve` and returns it once it logged that it listens.
fn start_server_process(env: &std::collections::HashMap<String, String>) -> std::process::Child {
    auth_server_command(env)
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_until_listening(child: &mut std::process::Child) {
    let stderr = child.stderr.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("listening") {
            return;
        }
        assert!(Instant::now() < deadline, "server did not start");
    }
    panic!("server exited before listening");
}

#[test]
fn two_processes_starting_on_an_empty_key_dir_end_with_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let mut a_env = test_env(dir.path(), &[]);
    let mut b_env = a_env.clone();
    a_env.insert(
        "AUTH_DATABASE_URL".into(),
        format!("sqlite://{}", dir.path().join("a.db").display()),
    );
    b_env.insert(
        "AUTH_DATABASE_URL".into(),
        format!("sqlite://{}", dir.path().join("b.db").display()),
    );

    let mut a = start_server_process(&a_env);
    let mut b = start_server_process(&b_env);
    wait_until_listening(&mut a);
    wait_until_listening(&mut b);
    a.kill().unwrap();
    b.kill().unwrap();
    a.wait().unwrap();
    b.wait().unwrap();

    let mut names: Vec<String> = std::fs::read_dir(&keys)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "client-secret.hmac",
            "session.hmac",
            "signing-0001.json",
            "signing-0001.pem"
        ]
    );
}
