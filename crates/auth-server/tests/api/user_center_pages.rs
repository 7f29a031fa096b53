//! What the user-center pages show and ask over plain HTTP (the browser
//! suite in `tests/browser/` clicks through the same pages): who stands
//! behind an application on the consent page, when an approval was last
//! used, revoking only after confirmation, one refusal for every forged
//! form, an HTML 404 inside the page areas, and redirect URIs one per line
//! with errors in words.

use crate::support::flow::{browser, code_request, input_value};
use crate::support::{PASSWORD, TestApp, spawn_app};

const CB: &str = "https://ward.example/cb";

/// The page with the escapes of `/` and `'` undone (attributes keep their
/// `&quot;`), so assertions can be written as the browser reads them.
fn readable(html: String) -> String {
    html.replace("&#x2f;", "/").replace("&#x27;", "'")
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> (u16, String, String) {
    let res = browser()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    (status, kind, readable(res.text().await.unwrap()))
}

/// POSTs a form with the CSRF token of the page at `page`.
async fn submit(
    app: &TestApp,
    page: &str,
    action: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (_, _, html) = get(app, page, cookie).await;
    let csrf = input_value(&html, "csrf_token").unwrap();
    let mut form = fields.to_vec();
    form.push(("csrf_token", &csrf));
    let res = browser()
        .post(app.url(action))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), readable(res.text().await.unwrap()))
}

/// Ann registers "Ward Viewer" (public, with a homepage) through the form.
async fn ann_registers(app: &TestApp) -> String {
    let cookie = app.signed_in("ann@example.org").await;
    let register = "/oauth/applications/register/";
    let (status, html) = submit(
        app,
        register,
        register,
        &cookie,
        &[
            ("name", "Ward Viewer"),
            ("redirect_uris", CB),
            ("homepage", "https://ward.example/about"),
            ("client_type", "public"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let marker = "<code id=\"client-id\">";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// Ann, signed in, after registering "Ward Viewer" and approving it.
struct Approved {
    ann: String,
    client_id: String,
    uid: String,
    consent_id: String,
}

async fn ann_approves(app: &TestApp) -> Approved {
    let client_id = ann_registers(app).await;
    let ann = app.login("ann@example.org", PASSWORD).await;
    app.code(&ann, &client_id, CB, None).await;
    let uid = auth_server::services::users::list(&app.db).await.unwrap()[0]
        .id
        .clone();
    let consent_id = auth_server::services::consents::list(&app.db, &uid)
        .await
        .unwrap()[0]
        .id
        .clone();
    Approved {
        ann,
        client_id,
        uid,
        consent_id,
    }
}

#[tokio::test]
async fn consent_shows_the_owner_and_homepage_and_approvals_their_last_use() {
    let app = spawn_app().await;
    let client_id = ann_registers(&app).await;
    let bob = app.signed_in("bob@example.org").await;
    let consent = app
        .authorize_get(&bob, &code_request(&client_id, CB, None))
        .await;
    assert_eq!(consent.status(), 200);
    let html = readable(consent.text().await.unwrap());
    assert!(html.contains(r#"<strong id="publisher-owner">ann@example.org</strong>"#));
    assert!(html.contains(
        r#"href="https://ward.example/about" rel="noopener noreferrer" target="_blank""#
    ));
    assert!(
        !html.contains("<img"),
        "no third-party image on the consent page"
    );

    let code = app.code(&bob, &client_id, CB, None).await;
    let (_, _, listed) = get(&app, "/oauth/authorized_tokens/", &bob).await;
    assert!(
        listed.contains(r#"<span class="last-used">never</span>"#),
        "{listed}"
    );
    let (status, body) = app.exchange_code(&client_id, CB, &code).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, listed) = get(&app, "/oauth/authorized_tokens/", &bob).await;
    assert!(
        listed.contains(r#"<span class="last-used">20"#) && listed.contains(" UTC</span>"),
        "{listed}"
    );
}

#[tokio::test]
async fn revoke_asks_for_confirmation_first() {
    let app = spawn_app().await;
    let Approved {
        ann,
        uid,
        consent_id,
        ..
    } = ann_approves(&app).await;
    let confirm = format!("/oauth/authorized_tokens/{consent_id}/revoke/");

    let (_, _, list) = get(&app, "/oauth/authorized_tokens/", &ann).await;
    assert!(
        list.contains(&format!(r#"href="{confirm}""#)),
        "a link, not a form"
    );
    let (status, _, page) = get(&app, &confirm, &ann).await;
    assert_eq!(status, 200);
    assert!(page.contains("Revoke access of Ward Viewer?") && page.contains("Cancel"));
    assert_eq!(
        auth_server::services::consents::list(&app.db, &uid)
            .await
            .unwrap()
            .len(),
        1,
        "showing the question changes nothing"
    );

    let bob = app.signed_in("bob@example.org").await;
    let (status, kind, _) = get(&app, &confirm, &bob).await;
    assert_eq!((status, kind.starts_with("text/html")), (404, true));

    let (status, _) = submit(&app, &confirm, &confirm, &ann, &[]).await;
    assert_eq!(status, 303);
    assert!(
        auth_server::services::consents::list(&app.db, &uid)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn every_posted_page_refuses_a_forged_form_with_one_page_and_does_nothing() {
    let app = spawn_app().await;
    let Approved {
        ann,
        client_id,
        uid,
        consent_id,
    } = ann_approves(&app).await;
    let (visitor, _) = app.page_form("/accounts/login/").await;
    let signed_in = [
        "/accounts/logout/".to_owned(),
        "/accounts/verify/resend/".to_owned(),
        "/oauth/applications/register/".to_owned(),
        format!("/oauth/applications/{client_id}/update/"),
        format!("/oauth/applications/{client_id}/delete/"),
        format!("/oauth/authorized_tokens/{consent_id}/revoke/"),
    ];
    let visitors = [
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/password_reset/",
        "/accounts/password_reset/confirm/",
    ]
    .map(|path| (path.to_owned(), &visitor));
    for (path, cookie) in signed_in.into_iter().map(|p| (p, &ann)).chain(visitors) {
        let res = app
            .post_form(&path, cookie, &[("csrf_token", "forged")])
            .await;
        assert_eq!(res.status(), 403, "{path}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("The form expired or was not sent from this site."),
            "{path}: {html}"
        );
    }
    let (status, _, _) = get(&app, &format!("/oauth/applications/{client_id}/"), &ann).await;
    assert_eq!(status, 200, "still signed in, the application still there");
    let approvals = auth_server::services::consents::list(&app.db, &uid).await;
    assert_eq!(approvals.unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_page_paths_answer_an_html_page_and_api_paths_json() {
    let app = spawn_app().await;
    let anonymous = "";
    for path in [
        "/accounts/nope/",
        "/accounts/login/extra",
        "/oauth/applications/x/y/z",
    ] {
        let (status, kind, html) = get(&app, path, anonymous).await;
        assert_eq!(status, 404, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(html.contains("Page not found") && html.contains(r#"href="/accounts/""#));
    }
    for path in ["/accounts/api/v1/nope", "/nope"] {
        let (status, kind, body) = get(&app, path, anonymous).await;
        assert_eq!(status, 404, "{path}");
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "not_found", "{body}");
    }
}

#[tokio::test]
async fn redirect_uris_are_one_per_line_and_errors_are_in_words() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    let register = "/oauth/applications/register/";
    let try_uris = |uris: &'static str, homepage: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            submit(
                app,
                register,
                register,
                &cookie,
                &[
                    ("name", "Ward Viewer"),
                    ("redirect_uris", uris),
                    ("homepage", homepage),
                ],
            )
            .await
        }
    };

    let (status, html) = try_uris("ward.example/cb", "").await;
    assert_eq!(status, 422);
    assert!(html.contains("is not a complete address"), "{html}");
    assert!(!html.contains("relative URL") && !html.contains("without a base"));

    let (status, html) = try_uris("https://a.example/cb https://b.example/cb", "").await;
    assert_eq!(status, 422, "a space is not a separator");
    assert!(html.contains("one URI per line"), "{html}");

    let (status, html) = try_uris(CB, "javascript:alert(1)").await;
    assert_eq!(status, 422);
    assert!(html.contains("the homepage"), "{html}");
    assert!(
        html.contains(r#"value="javascript:alert(1)""#),
        "the form keeps what was typed"
    );

    let (status, html) = try_uris(
        "https://a.example/cb\r\n\r\n  https://b.example/cb  \r\n",
        "",
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(
        html.contains("<code>https://a.example/cb</code><br><code>https://b.example/cb</code>")
    );
}
