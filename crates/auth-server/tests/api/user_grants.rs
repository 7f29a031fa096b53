//! The grants behind configuration switches (password, implicit), the
//! resource parameter and audience (RFC 8707), and userinfo errors.

use serde_json::{Value, json};

use crate::support::flow::{code_request, location, redirect_params};
use crate::support::{ISSUER, PASSWORD, spawn_app, spawn_app_with};

const CB: &str = "https://app.example/cb";

#[tokio::test]
async fn password_grant_is_refused_unless_enabled() {
    let app = spawn_app().await;
    app.add_user("ann@example.org", PASSWORD).await;
    let (id, secret) = app.add_app_client(false, "profile", CB).await;
    let form = [
        ("grant_type", "password"),
        ("username", "ann@example.org"),
        ("password", PASSWORD),
    ];
    let res = app
        .post_token(Some((&id, secret.as_deref().unwrap())), &form)
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");

    let app = spawn_app_with(&[("AUTH_ENABLE_PASSWORD_GRANT", "true")]).await;
    let user = app.add_user("ann@example.org", PASSWORD).await;
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
        ("password", PASSWORD),
        ("scope", "admin"),
    ];
    let res = app.post_token(Some((&id, &secret)), &scoped).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");
}

/// An implicit-grant request of the client `id`.
fn implicit(id: &str) -> [(&str, &str); 4] {
    [
        ("response_type", "token"),
        ("client_id", id),
        ("redirect_uri", CB),
        ("state", "s"),
    ]
}

#[tokio::test]
async fn implicit_grant_is_refused_unless_enabled() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let res = app.authorize_get(&cookie, &implicit(&id)).await;
    assert_eq!(res.status(), 302);
    let loc = location(&res);
    assert!(
        loc.contains('#'),
        "errors of the implicit flow go in the fragment: {loc}"
    );
    assert_eq!(redirect_params(&loc)["error"], "unsupported_response_type");

    let app = spawn_app_with(&[("AUTH_ENABLE_IMPLICIT_GRANT", "true")]).await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let loc = app.authorize(&cookie, &implicit(&id), "allow").await;
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
    let cookie = app.signed_in("ann@example.org").await;
    app.entitle("ann@example.org", "idmap:read").await;
    let (pid, _) = app.add_app_client(true, "idmap:read profile", CB).await;
    let mut bad = code_request(&pid, CB, None);
    bad.push(("resource", "https://evil.example"));
    let res = app.authorize_get(&cookie, &bad).await;
    assert_eq!(redirect_params(&location(&res))["error"], "invalid_target");
    let mut good = code_request(&pid, CB, None);
    good.push(("resource", "idmap"));
    let loc = app.authorize(&cookie, &good, "allow").await;
    let code = redirect_params(&loc)["code"].clone();
    let (_, body) = app.exchange_code(&pid, CB, &code).await;
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
    let token = app.client_token(&id, &secret).await;
    let res = app
        .client
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
}
