//! The security review of the user-facing grants, one module per finding,
//! each reproduced with live requests against the real server: who may hold
//! which scope, redirect URIs, throttling, refresh-token families, replayed
//! codes, group membership, `redirect_uri` at the token endpoint, the admin
//! API's order of checks, the file mailer's permissions and the log line of
//! a failed client authentication.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod admin_body;
mod entitlements;
mod families;
mod grants;
mod mail_and_logs;
mod redirects;
mod throttle;

use serde_json::Value;
use support::TestApp;
use support::flow::{CHALLENGE, VERIFIER, browser, input_value, redirect_params, session_cookie};

/// A password that passes the policy.
pub const PW: &str = "violet kettle marching";

/// Calls the admin API; returns status and JSON body (`null` if none).
pub async fn admin(
    app: &TestApp,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.admin_call(token, method, path, body).await
}

/// Registers `email` through the form, follows the mailed link, signs in;
/// returns the session cookie.
pub async fn register_verified(app: &TestApp, email: &str) -> String {
    let res = browser()
        .get(app.url("/accounts/register/"))
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&res).unwrap();
    let csrf = input_value(&res.text().await.unwrap(), "csrf_token").unwrap();
    let res = browser()
        .post(app.url("/accounts/register/"))
        .header("cookie", &cookie)
        .form(&[("email", email), ("password", PW), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let link = app.mailed_links(email).pop().expect("a verification link");
    let path = link.strip_prefix(support::ISSUER).unwrap();
    let res = browser().get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "verification");
    app.login(email, PW).await
}

/// The parameters of an authorization request of a public client.
pub fn code_request<'a>(
    id: &'a str,
    redirect: &'a str,
    scope: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", id),
        ("redirect_uri", redirect),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "st"),
    ];
    if let Some(s) = scope {
        p.push(("scope", s));
    }
    p
}

/// Approves (or finds approved) a request and exchanges the code;
/// returns the token response.
pub async fn code_flow(
    app: &TestApp,
    cookie: &str,
    id: &str,
    redirect: &str,
    scope: Option<&str>,
) -> Value {
    let loc = app
        .authorize(cookie, &code_request(id, redirect, scope), "allow")
        .await;
    let code = redirect_params(&loc)
        .remove("code")
        .unwrap_or_else(|| panic!("no code in {loc}"));
    exchange(app, id, redirect, &code).await
}

/// Exchanges a code of a public client; panics unless it succeeds.
pub async fn exchange(app: &TestApp, id: &str, redirect: &str, code: &str) -> Value {
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", id),
                ("redirect_uri", redirect),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// Presents a refresh token of a public client; (status, body).
pub async fn refresh(app: &TestApp, id: &str, token: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", id),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let res = app.post_token(None, &form).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Whether introspection reports `token` active.
pub async fn active(app: &TestApp, token: &str) -> bool {
    let (id, secret) = app.add_client(None, "introspect").await;
    app.introspect_active((&id, &secret), token).await
}
