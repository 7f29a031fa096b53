//! Refresh-token families end with a password reset and with disabling
//! the user, and at a fixed time that rotation does not move.

use std::time::Duration;

use crate::support::{PASSWORD, TestApp, spawn_app, spawn_app_with};

const CB: &str = "https://app.example/cb";

/// Two families of one user (two applications) and one of another user.
async fn three_families(app: &TestApp) -> Vec<(String, serde_json::Value)> {
    app.add_user("ann@example.org", PASSWORD).await;
    app.add_user("bob@example.org", PASSWORD).await;
    let mut out = Vec::new();
    for email in ["ann@example.org", "ann@example.org", "bob@example.org"] {
        let (id, _) = app.add_app_client(true, "profile", CB).await;
        let cookie = app.login(email, PASSWORD).await;
        out.push((id.clone(), app.code_tokens(&cookie, &id, CB, None).await));
    }
    out
}

#[tokio::test]
async fn a_password_reset_revokes_every_family_of_the_user() {
    let app = spawn_app().await;
    let families = three_families(&app).await;
    let users = auth_server::services::users::list(&app.db).await.unwrap();
    let ann = users.iter().find(|u| u.email == "ann@example.org").unwrap();
    let link = auth_server::services::accounts::issue_link(
        &app.db,
        &ann.id,
        auth_server::services::accounts::LinkPurpose::Reset,
    )
    .await
    .unwrap();
    assert!(
        auth_server::services::accounts::reset_password(&app.db, &link, "amber lantern orchard")
            .await
            .unwrap()
    );
    for (id, tokens) in &families[..2] {
        let (status, body) = app
            .refresh(id, tokens["refresh_token"].as_str().unwrap(), None)
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        assert!(!app.active(tokens["access_token"].as_str().unwrap()).await);
    }
    let (id, tokens) = &families[2];
    let (status, _) = app
        .refresh(id, tokens["refresh_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(status, 200, "another user's family lives on");
}

#[tokio::test]
async fn disabling_a_user_revokes_every_family_of_the_user() {
    let app = spawn_app().await;
    let families = three_families(&app).await;
    let users = auth_server::services::users::list(&app.db).await.unwrap();
    let ann = users.iter().find(|u| u.email == "ann@example.org").unwrap();
    auth_server::services::users::disable(&app.db, &ann.id)
        .await
        .unwrap();
    for (id, tokens) in &families[..2] {
        assert!(!app.active(tokens["access_token"].as_str().unwrap()).await);
        let (status, _) = app
            .refresh(id, tokens["refresh_token"].as_str().unwrap(), None)
            .await;
        assert_eq!(status, 400);
    }
    assert!(
        app.active(families[2].1["access_token"].as_str().unwrap())
            .await
    );
}

/// The family lives `AUTH_REFRESH_FAMILY_TTL` seconds from its start
/// however often it rotates (here 3 s, against 30 days per token).
#[tokio::test]
async fn rotation_does_not_extend_a_family() {
    let app = spawn_app_with(&[("AUTH_REFRESH_FAMILY_TTL", "3")]).await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let tokens = app.code_tokens(&cookie, &id, CB, None).await;
    let (status, rotated) = app
        .refresh(&id, tokens["refresh_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(4_100)).await;
    let (status, body) = app
        .refresh(&id, rotated["refresh_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}
