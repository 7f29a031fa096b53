//! The grants behind configuration switches (password, implicit), the
//! resource parameter and audience (RFC 8707), and userinfo errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::flow::{CHALLENGE, redirect_params};
use support::{ISSUER, spawn_app, spawn_app_with};

const CB: &str = "https://app.example/cb";
const PW: &str = "correct horse battery";

#[tokio::test]
async fn password_grant_is_refused_unless_enabled() {
    let app = spawn_app().await;
    app.add_user("ann@example.org", PW).await;
    let (id, secret) = app.add_app_client(false, "profile", CB).await;
    let form = [
        ("grant_type", "password"),
        ("username", "ann@example.org"),
        ("password", PW),
    ];
    let res = app
        .post_token(Some((&id, secret.as_deref().unwrap())), &form)
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");

    let app = spawn_app_with(&[("AUTH_ENABLE_PASSWORD_GRANT", "true")]).await;
    let user = app.add_user("ann@example.org", PW).await;
    let (id, secret) = app.add_app_client(false, "profile idmap:read", CB).await;
    let secret = secret.unwrap();
    let res = app.post_token(Some((&id, &secret)), &form).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], user.as_str());

    let wrong = [
        ("grant_type", "password"),
        ("username", "ann@example.org"),
        ("password", "nope"),
    ];
    let res = app.post_token(Some((&id, &secret)), &wrong).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let scoped = [
        ("grant_type", "password"),
        ("username", "ann@example.org"),
        ("password", PW),
        ("scope", "admin"),
    ];
    let res = app.post_token(Some((&id, &secret)), &scoped).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn implicit_grant_is_refused_unless_enabled() {
    let app = spawn_app().await;
    app.add_user("ann@example.org", PW).await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let cookie = app.login("ann@example.org", PW).await;
    let params = [
        ("response_type", "token"),
        ("client_id", id.as_str()),
        ("redirect_uri", CB),
        ("state", "s"),
    ];
    let res = app.authorize_get(&cookie, &params).await;
    assert_eq!(res.status(), 302);
    let loc = support::flow::location(&res);
    assert!(
        loc.contains('#'),
        "errors of the implicit flow go in the fragment: {loc}"
    );
    assert_eq!(redirect_params(&loc)["error"], "unsupported_response_type");

    let app = spawn_app_with(&[("AUTH_ENABLE_IMPLICIT_GRANT", "true")]).await;
    app.add_user("ann@example.org", PW).await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let cookie = app.login("ann@example.org", PW).await;
    let params = [
        ("response_type", "token"),
        ("client_id", id.as_str()),
        ("redirect_uri", CB),
        ("state", "s"),
    ];
    let loc = app.authorize(&cookie, &params, "allow").await;
    let p = redirect_params(&loc);
    assert!(loc.starts_with(&format!("{CB}#")));
    assert_eq!(p["token_type"], "Bearer");
    assert_eq!(p["state"], "s");
    assert!(!p.contains_key("refresh_token"));
    app.verify(&p["access_token"]).await;
}

#[tokio::test]
async fn resource_selects_the_audience_and_unknown_resources_are_invalid_target() {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "idmap:read admin").await;
    let token = |resource: Option<&'static str>| {
        let (app, id, secret) = (&app, id.clone(), secret.clone());
        async move {
            let mut form = vec![("grant_type", "client_credentials")];
            if let Some(r) = resource {
                form.push(("resource", r));
            }
            let res = app.post_token(Some((&id, &secret)), &form).await;
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (_, body) = token(None).await;
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], json!(["idmap", ISSUER]));

    let (_, body) = token(Some("idmap")).await;
    assert_eq!(body["scope"], "idmap:read");
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], "idmap");

    let (_, body) = token(Some(ISSUER)).await;
    assert_eq!(body["scope"], "admin");

    let (status, body) = token(Some("https://evil.example")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );

    // The authorization endpoint checks it too, and the code carries it.
    app.add_user("ann@example.org", PW).await;
    app.entitle("ann@example.org", "idmap:read").await;
    let (pid, _) = app.add_app_client(true, "idmap:read profile", CB).await;
    let cookie = app.login("ann@example.org", PW).await;
    let base = [
        ("response_type", "code"),
        ("client_id", pid.as_str()),
        ("redirect_uri", CB),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let mut bad = base.to_vec();
    bad.push(("resource", "https://evil.example"));
    let res = app.authorize_get(&cookie, &bad).await;
    assert_eq!(
        redirect_params(&support::flow::location(&res))["error"],
        "invalid_target"
    );
    let mut good = base.to_vec();
    good.push(("resource", "idmap"));
    let loc = app.authorize(&cookie, &good, "allow").await;
    let code = redirect_params(&loc)["code"].clone();
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &pid),
                ("redirect_uri", CB),
                ("code_verifier", support::flow::VERIFIER),
            ],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], "idmap");
    assert_eq!(claims["scope"], "idmap:read");
}

#[tokio::test]
async fn userinfo_answers_rfc_6750_errors() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/oauth/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"idmap\"");
    let res = app
        .client
        .get(app.url("/oauth/userinfo"))
        .bearer_auth("junk")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"idmap\", error=\"invalid_token\""
    );
    let (id, secret) = app.add_client(None, "admin").await;
    let res = app
        .post_token(
            Some((&id, &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let res = app
        .client
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
}
