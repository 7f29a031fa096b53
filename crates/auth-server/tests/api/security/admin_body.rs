//! The admin and account JSON APIs check the bearer token before they read
//! a body: without one, any body is a 401.

use reqwest::Method;
use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn a_body_is_read_only_after_authentication() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for path in [
        "/partners",
        "/clients",
        "/users",
        "/groups/members",
        "/entitlements",
    ] {
        let (status, body) = app
            .admin_call(None, Method::POST, path, Some(json!({})))
            .await;
        assert_eq!(status, 401, "{path}: {body}");
        let res = app
            .client
            .post(app.url(&format!("/admin/api/v1{path}")))
            .header("content-type", "text/plain")
            .body("not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let (status, body) = app
            .admin_call(Some(&token), Method::POST, path, Some(json!({})))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}"
        );
    }
    let res = app
        .client
        .post(app.url("/accounts/api/v1/applications"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Optional bodies stay optional.
    let (id, _) = app.add_client(None, "idmap:read").await;
    let (status, _) = app
        .admin_call(
            Some(&token),
            Method::POST,
            &format!("/clients/{id}/secrets"),
            None,
        )
        .await;
    assert_eq!(status, 201);
}
