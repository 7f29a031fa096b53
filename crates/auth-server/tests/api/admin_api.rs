//! The admin JSON API (`/admin/api/v1/`, bearer token with scope `admin`)
//! and the admin CLI's new commands: users (password from stdin), secret
//! rotation with two live secrets, retirement, keys.

use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;

use crate::support::process::auth_server_command;
use crate::support::{TestApp, key_states, spawn_app, spawn_app_in, test_env};
use serde_json::{Value, json};

async fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.admin_call(Some(token), method, path, body).await
}

#[tokio::test]
async fn admin_api_manages_partners_clients_users_and_keys() {
    use reqwest::Method;
    let app = spawn_app().await;
    let token = app.admin_token().await;

    let (s, _) = call(
        &app,
        &token,
        Method::POST,
        "/partners",
        Some(json!({"code": "UFH", "name": "UF Health"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, body) = call(
        &app,
        &token,
        Method::POST,
        "/partners",
        Some(json!({"code": "UFH", "name": "again"})),
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (409, Some("conflict")));
    let (_, list) = call(&app, &token, Method::GET, "/partners", None).await;
    assert_eq!(list[0]["code"], "UFH");

    let (s, created) = call(
        &app,
        &token,
        Method::POST,
        "/clients",
        Some(json!({"partner": "UFH", "scope": "idmap:link", "name": "cron"})),
    )
    .await;
    assert_eq!(s, 201);
    let id = created["client_id"].as_str().unwrap().to_owned();
    let old_secret = created["client_secret"].as_str().unwrap().to_owned();
    let (s, body) = call(
        &app,
        &token,
        Method::POST,
        "/clients",
        Some(json!({"scope": "nope"})),
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")));

    // Rotate: both secrets work until the old one is deleted.
    let (s, rotated) = call(
        &app,
        &token,
        Method::POST,
        &format!("/clients/{id}/secrets"),
        None,
    )
    .await;
    assert_eq!(s, 201);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    for secret in [&old_secret, &new_secret] {
        let res = app.client_grant(&id, secret).await;
        assert_eq!(res.status(), 200);
    }
    let (_, got) = call(&app, &token, Method::GET, &format!("/clients/{id}"), None).await;
    let secrets = got["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2);
    assert!(
        !got.to_string().contains(&old_secret),
        "secrets are never listed"
    );
    let old_id = secrets[0]["secret_id"].as_str().unwrap();
    let (s, _) = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/clients/{id}/secrets/{old_id}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let res = app.client_grant(&id, &old_secret).await;
    assert_eq!(res.status(), 401);

    let (s, _) = call(
        &app,
        &token,
        Method::POST,
        &format!("/clients/{id}/disable"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let res = app.client_grant(&id, &new_secret).await;
    assert_eq!(res.status(), 401);
    let (s, _) = call(&app, &token, Method::GET, "/clients/nobody", None).await;
    assert_eq!(s, 404);

    let (s, user) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"email": "Eve@Example.org", "password": "a long enough password"})),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(user["email"], "eve@example.org");
    assert!(user.get("password_hash").is_none());
    let (s, _) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"email": "x@example.org", "password": "short"})),
    )
    .await;
    assert_eq!(s, 400);
    let uid = user["id"].as_str().unwrap();
    let (s, _) = call(
        &app,
        &token,
        Method::POST,
        &format!("/users/{uid}/disable"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (_, users) = call(&app, &token, Method::GET, "/users", None).await;
    assert_eq!(users[0]["disabled"], true);

    let (_, keys) = call(&app, &token, Method::GET, "/keys", None).await;
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["state"], "signing");
    let (s, keys) = call(
        &app,
        &token,
        Method::POST,
        "/keys/rotate",
        Some(json!({"now": true})),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(key_states(&keys), ["published", "signing"]);
    assert_eq!(app.jwks().await.keys.len(), 2);
    // The old admin token (signed by the now-published key) still works.
    let (s, _) = call(&app, &token, Method::GET, "/partners", None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn admin_api_requires_a_token_with_the_admin_scope() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/admin/api/v1/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"idmap\"");
    for (scope, refused, why) in [
        (
            "idmap:read",
            (401, Some("invalid_token")),
            "an idmap token is not for this server",
        ),
        (
            "profile",
            (403, Some("insufficient_scope")),
            "a token of this server without the admin scope",
        ),
    ] {
        let (id, secret) = app.add_client(None, scope).await;
        let token = app.client_token(&id, &secret).await;
        let (s, body) = call(&app, &token, reqwest::Method::GET, "/clients", None).await;
        assert_eq!((s, body["error"].as_str()), refused, "{why}");
    }
}

fn cli(
    env: &HashMap<String, String>,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut child = auth_server_command(env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn cli_adds_users_from_stdin_and_rotates_and_retires_secrets() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = spawn_app_in(dir.clone(), &[]).await;
    let env = test_env(dir.path(), &[]);

    let (ok, out, err) = cli(
        &env,
        &["admin", "user", "add", "--email", "fay@example.org"],
        Some("a long enough password\n"),
    );
    assert!(ok, "{err}");
    assert!(!out.contains("long enough"), "the password never echoes");
    let cookie = app.login("fay@example.org", "a long enough password").await;
    assert!(cookie.starts_with("idmap_session="));

    let (ok, out, _) = cli(
        &env,
        &["admin", "client", "add", "--scope", "idmap:read"],
        None,
    );
    assert!(ok);
    let created: Value = serde_json::from_str(&out).unwrap();
    let id = created["client_id"].as_str().unwrap();
    let old = created["client_secret"].as_str().unwrap();

    let (ok, out, err) = cli(&env, &["admin", "client", "rotate-secret", id], None);
    assert!(ok, "{err}");
    let rotated: Value = serde_json::from_str(&out).unwrap();
    let new = rotated["client_secret"].as_str().unwrap();
    for secret in [old, new] {
        let res = app.client_grant(id, secret).await;
        assert_eq!(res.status(), 200);
    }
    // A third live secret is refused.
    let (ok, _, err) = cli(&env, &["admin", "client", "rotate-secret", id], None);
    assert!(!ok && err.contains("live secrets"), "{err}");

    let (ok, out, _) = cli(&env, &["admin", "client", "list"], None);
    assert!(ok);
    assert!(!out.contains(old) && !out.contains(new));
    let list: Value = serde_json::from_str(&out).unwrap();
    let old_id = list[0]["secrets"][0]["secret_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(list[0]["secrets"][0]["created_at"].is_i64());

    let (ok, _, err) = cli(
        &env,
        &[
            "admin",
            "client",
            "retire-secret",
            id,
            "--secret-id",
            &old_id,
        ],
        None,
    );
    assert!(ok, "{err}");
    // The server answers from a snapshot of the secrets that is at most
    // STALE_AFTER old; the CLI wrote behind its back.
    tokio::time::sleep(auth_server::services::credentials::STALE_AFTER).await;
    let res = app.client_grant(id, old).await;
    assert_eq!(res.status(), 401);
    let res = app.client_grant(id, new).await;
    assert_eq!(res.status(), 200);

    // --old-expires-in schedules the old secret's end instead.
    let (ok, _, err) = cli(
        &env,
        &[
            "admin",
            "client",
            "rotate-secret",
            id,
            "--old-expires-in",
            "3600",
        ],
        None,
    );
    assert!(ok, "{err}");
    let (_, out, _) = cli(&env, &["admin", "client", "list"], None);
    let list: Value = serde_json::from_str(&out).unwrap();
    let expiring = list[0]["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["expires_at"]
                .as_i64()
                .is_some_and(|e| e > idmap_common::clock::now_unix())
        })
        .count();
    assert_eq!(expiring, 1);
}
