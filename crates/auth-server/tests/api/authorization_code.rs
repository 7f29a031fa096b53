//! The authorization-code grant with PKCE end to end over HTTP: login and
//! consent pages, CSRF, redirect errors (RFC 6749 4.1.2.1), token errors
//! (5.2), code reuse, redirect mismatch, PKCE mismatch, open redirects.

use serde_json::Value;

use crate::support::flow::{
    CHALLENGE, VERIFIER, browser, code_request, input_value, location, redirect_params,
    session_cookie, token_answer,
};
use crate::support::{PASSWORD, TestApp, spawn_app};

const CB: &str = "https://app.example/cb";

/// A server, a signed-in user entitled to `idmap:read`, and a client
/// (public or confidential) that may ask for it.
async fn setup(public: bool) -> (TestApp, String, Option<String>, String) {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    app.entitle("ann@example.org", "idmap:read").await;
    let (id, secret) = app.add_app_client(public, "idmap:read profile", CB).await;
    (app, id, secret, cookie)
}

/// A token request with the form as given; (status, body).
async fn exchange(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    token_answer(app.post_token(basic, form).await).await
}

#[tokio::test]
async fn public_client_gets_tokens_with_pkce_and_state() {
    let (app, id, _, cookie) = setup(true).await;
    let body = app.code_tokens(&cookie, &id, CB, None).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "idmap:read profile");
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["client_id"], id.as_str());
    assert_ne!(claims["sub"], id.as_str(), "sub is the user");
    assert_eq!(
        claims["aud"],
        serde_json::json!(["idmap", crate::support::ISSUER])
    );

    // userinfo with the profile scope.
    let res = app
        .client
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["email"], "ann@example.org");
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["sub"], claims["sub"]);
}

#[tokio::test]
async fn confidential_client_authenticates_and_may_skip_pkce() {
    let (app, id, secret, cookie) = setup(false).await;
    let secret = secret.unwrap();
    let code = app.code_without_pkce(&cookie, &id, CB).await;
    // Without its secret the confidential client is refused.
    let (status, body) = exchange(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = app.exchange_confidential((&id, &secret), CB, &code).await;
    assert_eq!(status, 200, "{body}");
    // Sending a verifier the authorization request had no challenge for is refused.
    let code = app.code_without_pkce(&cookie, &id, CB).await;
    let (status, body) = exchange(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn code_reuse_is_refused_and_revokes_what_the_code_issued() {
    let (app, id, _, cookie) = setup(true).await;
    let code = app.code(&cookie, &id, CB, None).await;
    let (status, first) = app.exchange_code(&id, CB, &code).await;
    assert_eq!(status, 200);
    let (status, second) = app.exchange_code(&id, CB, &code).await;
    assert_eq!(
        (status, second["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The refresh token of the first exchange no longer works.
    let (status, body) = app
        .refresh(&id, first["refresh_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn pkce_redirect_and_client_mismatches_are_invalid_grant() {
    let (app, id, _, cookie) = setup(true).await;
    let (other, _) = app.add_app_client(true, "profile", CB).await;
    for (field, value, expected) in [
        ("code_verifier", "A".repeat(43), "invalid_grant"),
        ("redirect_uri", format!("{CB}/other"), "invalid_grant"),
        ("client_id", other.clone(), "invalid_grant"),
    ] {
        let code = app.code(&cookie, &id, CB, None).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("client_id", id.clone()),
            ("redirect_uri", CB.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = exchange(&app, &form, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(expected)),
            "{field}"
        );
    }
    // A missing verifier is a malformed request.
    let code = app.code(&cookie, &id, CB, None).await;
    let (status, body) = exchange(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("redirect_uri", CB),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // An unknown code.
    let (status, body) = app.exchange_code(&id, CB, "nope").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn authorize_errors_redirect_only_to_a_verified_redirect_uri() {
    let (app, id, _, cookie) = setup(true).await;
    // Unknown client, unregistered redirect URI: an error page, no redirect.
    for params in [
        vec![
            ("response_type", "code"),
            ("client_id", "nobody"),
            ("redirect_uri", CB),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", "https://evil.example/cb"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", "https://app.example/cb/"),
        ],
    ] {
        let res = app.authorize_get(&cookie, &params).await;
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("cannot be completed"));
    }
    // Other errors come back to the client with state.
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (
            &[("response_type", "id_token")],
            "unsupported_response_type",
        ),
        (&[("response_type", "code")], "invalid_request"),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("scope", "idmap:link"),
            ],
            "invalid_scope",
        ),
    ];
    for (extra, expected) in cases {
        let mut params = vec![
            ("client_id", id.as_str()),
            ("redirect_uri", CB),
            ("state", "xyz"),
        ];
        params.extend_from_slice(extra);
        let res = app.authorize_get(&cookie, &params).await;
        assert_eq!(res.status(), 302, "{expected}");
        let loc = location(&res);
        assert!(loc.starts_with(CB), "{loc}");
        let p = redirect_params(&loc);
        assert_eq!(p["error"], expected);
        assert_eq!(p["state"], "xyz");
    }
    // The user says no: access_denied.
    let loc = app
        .authorize(&cookie, &code_request(&id, CB, None), "deny")
        .await;
    let p = redirect_params(&loc);
    assert_eq!(
        (p["error"].as_str(), p["state"].as_str()),
        ("access_denied", "st")
    );
}

#[tokio::test]
async fn login_and_consent_need_session_and_csrf() {
    let (app, id, _, cookie) = setup(true).await;
    let params = code_request(&id, CB, None);
    // Not logged in: to the login page, coming back afterwards.
    let q = serde_urlencoded::to_string(&params).unwrap();
    let res = browser()
        .get(app.url(&format!("/oauth/authorize?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/accounts/login/?next=%2Foauth%2Fauthorize%3F"));

    // The consent page names the application and every scope in words.
    let res = app.authorize_get(&cookie, &params).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("Test App"));
    assert!(html.contains("Look up network-wide patient IDs"));
    assert!(html.contains("See your email address"));

    // Consent without (or with a wrong) CSRF token is refused.
    let mut form = params.clone();
    form.push(("decision", "allow"));
    form.push(("csrf_token", "forged"));
    let res = app.post_form("/oauth/authorize", &cookie, &form).await;
    assert_eq!(res.status(), 403);

    // Login with a wrong password re-shows the form; the cookie flags are right.
    let res = browser()
        .get(app.url("/accounts/login/"))
        .send()
        .await
        .unwrap();
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let anon = session_cookie(&res).unwrap();
    let html = res.text().await.unwrap();
    let csrf = input_value(&html, "csrf_token").unwrap();
    let ann = ("email", "ann@example.org");
    let login = "/accounts/login/";
    let wrong = [ann, ("password", "wrong"), ("csrf_token", &csrf)];
    let res = app.post_form(login, &anon, &wrong).await;
    assert_eq!(res.status(), 401);
    // Without the CSRF token the login form is refused.
    let res = app
        .post_form(login, &anon, &[ann, ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 403);
    // `next` must be a local path: no open redirect.
    let away = [
        ann,
        ("password", PASSWORD),
        ("csrf_token", &csrf),
        ("next", "https://evil.example/"),
    ];
    let res = app.post_form(login, &anon, &away).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/accounts/");
}

#[tokio::test]
async fn codes_expire_quickly_and_are_bound_to_the_client() {
    let (app, id, _, cookie) = setup(true).await;
    let code = app.code(&cookie, &id, CB, None).await;
    // Age the code past its 60 s lifetime.
    let hash = auth_server::domain::opaque::hash(&code);
    app.db
        .run(move |c| {
            use auth_server::db::schema::authorization_codes as t;
            use diesel::prelude::*;
            diesel::update(t::table.filter(t::code_hash.eq(hash)))
                .set(t::expires_at.eq(0i64))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let (status, body) = app.exchange_code(&id, CB, &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_and_gets_no_tokens() {
    let (app, id, _, cookie) = setup(true).await;
    let code = app.code(&cookie, &id, CB, None).await;
    let users = auth_server::services::users::list(&app.db).await.unwrap();
    auth_server::services::users::disable(&app.db, &users[0].id)
        .await
        .unwrap();
    let res = app
        .authorize_get(&cookie, &code_request(&id, CB, None))
        .await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/accounts/login/?next="));
    // A code issued before the user was disabled no longer yields tokens.
    let (status, body) = app.exchange_code(&id, CB, &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}
