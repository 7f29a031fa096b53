//! The user center's server-side rules over plain HTTP (the browser suite
//! in `tests/browser/` covers the same pages in Chromium): uniform
//! registration answers, the password policy, single-use mailed links,
//! logout ending copied sessions, login throttling, consent refused to
//! unverified accounts, remembered and withdrawn approvals, the JSON API
//! and the resource API.

use serde_json::Value;

use crate::support::flow::{browser, code_request, input_value, location};
use crate::support::{PASSWORD, TestApp, spawn_app, spawn_app_with};

async fn register(app: &TestApp, email: &str, password: &str) -> (u16, String) {
    let (cookie, csrf) = app.page_form("/accounts/register/").await;
    let res = app
        .post_form(
            "/accounts/register/",
            &cookie,
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Asks for a password reset of `email` with the form of `cookie`.
async fn ask_reset(app: &TestApp, cookie: &str, csrf: &str, email: &str) -> u16 {
    let form = [("email", email), ("csrf_token", csrf)];
    app.post_form("/accounts/password_reset/", cookie, &form)
        .await
        .status()
        .as_u16()
}

fn path_of(link: &str) -> String {
    link.strip_prefix(crate::support::ISSUER)
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn registration_answers_alike_and_verifies_once() {
    let app = spawn_app().await;
    let (status, first) = register(&app, "ann@example.org", PASSWORD).await;
    assert_eq!(status, 200);
    let (status, again) = register(&app, "ANN@example.org", "another fine phrase").await;
    assert_eq!(status, 200);
    assert!(first.contains("Check your inbox") && again.contains("Check your inbox"));
    let (status, weak) = register(&app, "bob@example.org", "qwertyuiop").await;
    assert_eq!(status, 422);
    assert!(weak.contains("most common"));
    let (status, _) = register(&app, "bob@example.org", "short").await;
    assert_eq!(status, 422);

    let links = app.mailed_links("ann@example.org");
    assert_eq!(links.len(), 1, "one verification link: {links:?}");
    let notices = std::fs::read_dir(&app.settings.mail_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|m| m.contains("You already have an account"))
        .count();
    assert_eq!(notices, 1, "the second registration mails a notice instead");
    let verify = path_of(&links[0]);
    let stored: Vec<Vec<u8>> = app
        .db
        .run(|c| {
            use auth_server::db::schema::email_tokens as t;
            use diesel::prelude::*;
            Ok(t::table.select(t::token_hash).load(c)?)
        })
        .await
        .unwrap();
    let token = verify.split("token=").nth(1).unwrap();
    assert_eq!(
        stored,
        vec![auth_server::domain::opaque::hash(token)],
        "only a hash is stored"
    );
    let res = browser().get(app.url(&verify)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = browser().get(app.url(&verify)).send().await.unwrap();
    assert_eq!(res.status(), 400, "single use");
    let users = auth_server::services::users::list(&app.db).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(users[0].email_verified);
}

#[tokio::test]
async fn logout_ends_copied_sessions_and_reset_ends_all() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    let home = |c: String| {
        let url = app.url("/accounts/");
        async move {
            browser()
                .get(url)
                .header("cookie", c)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(home(cookie.clone()).await, 200);
    let html = browser()
        .get(app.url("/accounts/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input_value(&html, "csrf_token").unwrap();
    let res = app
        .post_form("/accounts/logout/", &cookie, &[("csrf_token", "nope")])
        .await;
    assert_eq!(res.status(), 403, "logout needs the CSRF token");
    let res = app
        .post_form("/accounts/logout/", &cookie, &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(home(cookie.clone()).await, 303, "the copied cookie is dead");

    let cookie = app.login("ann@example.org", PASSWORD).await;
    let (c, csrf) = app.page_form("/accounts/password_reset/").await;
    let status = ask_reset(&app, &c, &csrf, "ann@example.org").await;
    assert_eq!(status, 200);
    let status = ask_reset(&app, &c, &csrf, "nobody@example.org").await;
    assert_eq!(status, 200, "same answer for unknown addresses");
    let link = path_of(app.mailed_links("ann@example.org").last().unwrap());
    let (c, csrf) = app.page_form(&link).await;
    let token = link.split("token=").nth(1).unwrap();
    let res = app
        .post_form(
            "/accounts/password_reset/confirm/",
            &c,
            &[
                ("token", token),
                ("password", "amber lantern orchard"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(home(cookie).await, 303, "a reset ends earlier sessions");
    app.login("ann@example.org", "amber lantern orchard").await;
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_account() {
    let app = spawn_app_with(&[("AUTH_LOGIN_FAILURES", "3")]).await;
    app.add_user("ann@example.org", PASSWORD).await;
    let (cookie, csrf) = app.page_form("/accounts/login/").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = app
            .post_form(
                "/accounts/login/",
                &cookie,
                &[
                    ("email", "ann@example.org"),
                    ("password", "wrong wrong wrong"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    let res = app
        .post_form(
            "/accounts/login/",
            &cookie,
            &[
                ("email", "ann@example.org"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );
}

#[tokio::test]
async fn failed_logins_behind_a_trusted_proxy_network_lock_out_only_their_client() {
    let app = spawn_app_with(&[
        ("AUTH_TRUSTED_PROXIES", "127.0.0.0/8"),
        ("AUTH_LOGIN_IP_FAILURES", "3"),
    ])
    .await;
    app.add_user("ann@example.org", PASSWORD).await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let guess = format!("guess{i}@example.org");
        statuses.push(
            app.login_from("203.0.113.5", &guess, "wrong wrong wrong")
                .await,
        );
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    assert_eq!(
        app.login_from("203.0.113.6", "ann@example.org", PASSWORD)
            .await,
        303,
        "another client behind the same proxy signs in"
    );
    assert_eq!(
        app.login_from("203.0.113.5", "ann@example.org", PASSWORD)
            .await,
        429,
        "the failing client stays locked out"
    );
}

async fn own_token(app: &TestApp, email: &str) -> (String, String, String) {
    let uid = app.add_user(email, PASSWORD).await;
    let cb = "https://script.example/cb";
    let owner = auth_server::services::users::find(&app.db, &uid)
        .await
        .unwrap()
        .unwrap();
    let created = auth_server::services::applications::register(
        &app.db,
        &app.hasher,
        &owner,
        auth_server::services::applications::ApplicationInput {
            name: "My script".into(),
            redirect_uris: vec![cb.to_owned()],
            homepage: None,
        },
        true,
    )
    .await
    .unwrap();
    let cookie = app.login(email, PASSWORD).await;
    let body = app.code_tokens(&cookie, &created.client_id, cb, None).await;
    (
        uid,
        created.client_id,
        body["access_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn json_api_and_resource_api_show_only_the_users_own() {
    let app = spawn_app().await;
    let (uid, client_id, token) = own_token(&app, "ann@example.org").await;
    let (other_uid, _, other_token) = own_token(&app, "bob@example.org").await;
    let get = |path: &str, token: &str| app.client.get(app.url(path)).bearer_auth(token).send();

    let apps: Value = get("/accounts/api/v1/applications", &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps.as_array().unwrap().len(), 1);
    let res = app
        .client
        .post(app.url("/accounts/api/v1/applications"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Second", "redirect_uris": ["https://x.example/cb"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert!(created["client_secret"].as_str().unwrap().len() >= 40);
    let second = created["client_id"].as_str().unwrap();
    let res = get(
        &format!("/accounts/api/v1/applications/{second}"),
        &other_token,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404, "another user's application");
    let res = app
        .client
        .delete(app.url(&format!("/accounts/api/v1/applications/{second}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let consents: Value = get("/accounts/api/v1/authorized_tokens", &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(consents[0]["client_id"], client_id.as_str());
    assert_eq!(
        get("/accounts/api/v1/applications", "junk")
            .await
            .unwrap()
            .status(),
        401
    );

    // Resource API: own record in every format, others' ids answer 404.
    for suffix in ["/", ".json"] {
        let res = get(&format!("/accounts/resource/user/{uid}{suffix}"), &token)
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["email"], "ann@example.org");
    }
    let res = get(&format!("/accounts/resource/user/{uid}.html"), &token)
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("ann@example.org"));
    let res = get(&format!("/accounts/resource/user/{other_uid}/"), &token)
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = get(
        "/accounts/resource/user/00000000-0000-0000-0000-000000000000/",
        &token,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);

    // Groups: members see their group; others get the same 404 as for no group.
    app.add_partner("UFH").await;
    let g = auth_server::services::groups::add_member(
        &app.db,
        "UFH",
        "ann@example.org",
        "partner_admin",
    )
    .await
    .unwrap();
    let res = get(&format!("/accounts/resource/group/{}/", g.id), &token)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let group: Value = res.json().await.unwrap();
    assert_eq!(group["members"][0]["role"], "partner_admin");
    let res = get(
        &format!("/accounts/resource/group/{}.json", g.id),
        &other_token,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
    let me: Value = get(&format!("/accounts/resource/user/{uid}"), &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["groups"][0]["partner"], "UFH");
}

#[tokio::test]
async fn consent_needs_a_verified_address_and_is_remembered_until_withdrawn() {
    let app = spawn_app().await;
    auth_server::services::users::add_user(&app.db, "new@example.org", PASSWORD, false)
        .await
        .unwrap();
    let cb = "https://app.example/cb";
    let (id, _) = app.add_app_client(true, "profile", cb).await;
    let params = code_request(&id, cb, None);
    let cookie = app.login("new@example.org", PASSWORD).await;
    let res = app.authorize_get(&cookie, &params).await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Confirm your e-mail address")
    );

    let (uid, _, _) = own_token(&app, "ann@example.org").await;
    let cookie = app.login("ann@example.org", PASSWORD).await;
    let res = app.authorize_get(&cookie, &params).await;
    assert_eq!(res.status(), 200, "first time: the consent page");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action 'self' https://app.example") && !csp.contains("unsafe-inline")
    );
    app.code(&cookie, &id, cb, None).await;
    let res = app.authorize_get(&cookie, &params).await;
    assert_eq!(res.status(), 302, "remembered");
    assert!(location(&res).starts_with(cb));
    let list = auth_server::services::consents::list(&app.db, &uid)
        .await
        .unwrap();
    let consent = list.iter().find(|c| c.client_id == id).unwrap();
    assert!(
        auth_server::services::consents::revoke(&app.db, &uid, &consent.id)
            .await
            .unwrap()
    );
    assert_eq!(
        app.authorize_get(&cookie, &params).await.status(),
        200,
        "withdrawn"
    );
}

#[tokio::test]
async fn mail_forms_are_throttled_per_address() {
    let app = spawn_app().await;
    let (c, csrf) = app.page_form("/accounts/password_reset/").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(ask_reset(&app, &c, &csrf, "nobody@example.org").await);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    let status = ask_reset(&app, &c, &csrf, "other@example.org").await;
    assert_eq!(status, 200, "another address is not blocked");
}
