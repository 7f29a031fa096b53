//! Redirect URIs: only https, http on loopback, and reverse-domain schemes
//! of native apps; a verified address to register an application; errors
//! of an application anyone could have registered stay on our own page.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::flow::{browser, code_request, input_value, location, redirect_params};
use crate::support::{PASSWORD, TestApp, spawn_app};

/// A public application of user `owner` (stored directly, as a user
/// registered before the rules might have); its client id.
async fn user_app(app: &TestApp, owner: &str, redirect: &str) -> String {
    auth_server::services::clients::add_client(
        &app.db,
        &app.hasher,
        auth_server::services::clients::NewClient {
            partner: None,
            scope: "profile".into(),
            name: Some("A user's app".into()),
            public: true,
            redirect_uris: vec![redirect.into()],
            owner: Some(owner.to_owned()),
            ..auth_server::services::clients::NewClient::default()
        },
    )
    .await
    .unwrap()
    .client_id
}

/// `GET /oauth/authorize` with `params` from a browser that is not signed in.
async fn authorize_anonymously(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
    let q = serde_urlencoded::to_string(params).unwrap();
    browser()
        .get(app.url(&format!("/oauth/authorize?{q}")))
        .send()
        .await
        .unwrap()
}

/// Posts the registration form of the user center as the holder of `cookie`.
async fn register_form(app: &TestApp, cookie: &str, uris: &str, kind: &str) -> (u16, String) {
    let res = browser()
        .get(app.url("/oauth/applications/register/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let get_status = res.status().as_u16();
    let csrf = input_value(&res.text().await.unwrap(), "csrf_token").unwrap();
    let res = browser()
        .post(app.url("/oauth/applications/register/"))
        .header("cookie", cookie)
        .form(&[
            ("name", "Some app"),
            ("redirect_uris", uris),
            ("client_type", kind),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let html = res.text().await.unwrap();
    assert!(get_status == 200 || get_status == 403, "{get_status}");
    (status, html)
}

#[tokio::test]
async fn registering_an_application_needs_a_verified_address() {
    let app = spawn_app().await;
    auth_server::services::users::add_user(&app.db, "new@example.org", PASSWORD, false)
        .await
        .unwrap();
    let cookie = app.login("new@example.org", PASSWORD).await;
    let (status, html) = register_form(&app, &cookie, "https://evil.example/cb", "public").await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("Confirm your e-mail address"));
    let users = auth_server::services::users::list(&app.db).await.unwrap();
    let listed = auth_server::services::applications::list(&app.db, &users[0].id)
        .await
        .unwrap();
    assert!(listed.is_empty(), "nothing was registered");
}

#[tokio::test]
async fn only_safe_redirect_uris_can_be_registered() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    for (uris, kind) in [
        ("javascript:alert(document.domain)", "public"),
        ("data:text/html,<script>alert(1)</script>", "public"),
        ("http://evil.example/cb", "confidential"),
        (
            "https://ok.example/cb http://evil.example/cb",
            "confidential",
        ),
        ("org.example.app:/cb", "confidential"),
        ("https://ok.example/cb#frag", "public"),
    ] {
        let (status, html) = register_form(&app, &cookie, uris, kind).await;
        assert_eq!(status, 422, "{uris}: {html}");
    }
    for (uris, kind) in [
        ("https://ok.example/cb", "confidential"),
        ("http://127.0.0.1:8400/cb", "confidential"),
        ("http://[::1]/cb\nhttp://localhost:3000/cb", "public"),
        ("org.example.app:/oauth2redirect", "public"),
    ] {
        let (status, html) = register_form(&app, &cookie, uris, kind).await;
        assert_eq!(status, 201, "{uris}: {html}");
    }

    // The same rules for operators.
    let token = app.admin_token().await;
    let (status, body) = app.admin_call(Some(&token),
        Method::POST,
        "/clients",
        Some(json!({"scope": "profile", "public": true, "redirect_uris": ["javascript:alert(1)"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

/// The JSON API refuses an unverified owner too (an account whose address
/// was unconfirmed again, here by hand, stands in for one that got a token
/// before the rule existed).
#[tokio::test]
async fn the_json_api_checks_address_and_redirect_uris() {
    let app = spawn_app().await;
    let uid = app.add_user("ann@example.org", PASSWORD).await;
    let cb = "https://script.example/cb";
    let client_id = user_app(&app, &uid, cb).await;
    let cookie = app.login("ann@example.org", PASSWORD).await;
    let tokens = app.code_tokens(&cookie, &client_id, cb, None).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let post = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            let res = app
                .client
                .post(app.url("/accounts/api/v1/applications"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) =
        post(json!({"name": "x", "redirect_uris": ["javascript:alert(1)"], "public": true})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, _) = post(json!({"name": "x", "redirect_uris": ["https://x.example/cb"]})).await;
    assert_eq!(status, 201);

    let id = uid.clone();
    app.db
        .run(move |c| {
            use auth_server::db::schema::users as t;
            use diesel::prelude::*;
            diesel::update(t::table.filter(t::id.eq(id)))
                .set(t::email_verified.eq(false))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let (status, body) =
        post(json!({"name": "y", "redirect_uris": ["https://y.example/cb"]})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("access_denied")),
        "{body}"
    );
}

/// An error of an application registered by anyone is not redirected (no
/// login needed to trigger one: an open redirector on our domain);
/// an operator's client still gets its errors back.
#[tokio::test]
async fn errors_of_applications_anyone_registered_stay_on_our_page() {
    let app = spawn_app().await;
    let uid = app.add_user("mallory@example.org", PASSWORD).await;
    let evil = "https://evil.example/phish";
    let client_id = user_app(&app, &uid, evil).await;
    for extra in [("response_type", "nonsense"), ("scope", "admin")] {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", evil),
            ("state", "x"),
        ];
        params.retain(|(k, _)| *k != extra.0);
        params.push(extra);
        let res = authorize_anonymously(&app, &params).await;
        assert_eq!(res.status(), 400, "{extra:?}");
        assert!(res.headers().get("location").is_none(), "{extra:?}");
        assert!(res.text().await.unwrap().contains("cannot be completed"));
    }

    let cb = "https://app.example/cb";
    let (id, _) = app.add_app_client(true, "profile", cb).await;
    let res = authorize_anonymously(
        &app,
        &[
            ("response_type", "nonsense"),
            ("client_id", id.as_str()),
            ("redirect_uri", cb),
            ("state", "x"),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        redirect_params(&location(&res))["error"],
        "unsupported_response_type"
    );
}

/// A client stored before the rules, with a URI they refuse, is refused
/// at the authorization endpoint until its owner changes the URI.
#[tokio::test]
async fn a_stored_client_with_a_refused_uri_gets_an_error_page() {
    let app = spawn_app().await;
    let row = auth_server::db::clients::ClientRow {
        client_id: "legacy-client-1".into(),
        name: Some("Legacy".into()),
        partner_code: None,
        scopes: "profile".into(),
        is_public: true,
        redirect_uris: "javascript:alert(document.cookie)".into(),
        disabled: false,
        created_at: 0,
        owner_user_id: None,
        homepage: None,
    };
    app.db
        .run(move |c| Ok(auth_server::db::clients::insert(c, &row, &[])?))
        .await
        .unwrap();
    let res = authorize_anonymously(
        &app,
        &[
            ("response_type", "nonsense"),
            ("client_id", "legacy-client-1"),
            ("state", "x"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
}

/// RFC 8252 7.3: a native app's loopback redirect may use any port.
#[tokio::test]
async fn a_loopback_redirect_may_use_any_port() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app
        .add_app_client(true, "profile", "http://127.0.0.1/callback")
        .await;
    let tokens = app
        .code_tokens(&cookie, &id, "http://127.0.0.1:53127/callback", None)
        .await;
    assert_eq!(tokens["scope"], "profile");
    let res = app
        .authorize_get(
            &cookie,
            &code_request(&id, "http://127.0.0.1:53127/other", None),
        )
        .await;
    assert_eq!(res.status(), 400);
}
