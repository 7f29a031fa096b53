//! The same flow on every backend: migrations apply, partners and clients
//! are stored, a token is issued. SQLite always; PostgreSQL and MariaDB
//! when their local servers run (required under `CI=true`).

use std::sync::Arc;

use auth_server::services::clients;
use idmap_storage::testing::all_backends;
use serde_json::Value;

use crate::support::{PASSWORD, TestApp, spawn_app_on};

/// Users, codes, refresh rotation (with its compare-and-swap under
/// concurrency), revocation and introspection on one backend.
async fn user_flows(app: &TestApp, backend: idmap_storage::Backend) {
    let cb = "https://app.example/cb";
    let cookie = app.signed_in("ann@example.org").await;
    let dup =
        auth_server::services::users::add_user(&app.db, "ANN@example.org", PASSWORD, false).await;
    assert!(
        matches!(dup, Err(clients::AdminError::Conflict(_))),
        "{backend:?}"
    );
    let (id, _) = app.add_app_client(true, "idmap:read profile", cb).await;
    app.entitle("ann@example.org", "idmap:read").await;
    let code = app.code(&cookie, &id, cb, None).await;
    let (status, pair) = app.exchange_code(&id, cb, &code).await;
    assert_eq!(status, 200, "{backend:?}");

    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (url, id, refresh) = (app.url("/oauth/token"), id.clone(), refresh.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("client_id", id.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1, "{backend:?}: exactly one rotation wins");
    assert_eq!(
        app.exchange_code(&id, cb, &code).await.0,
        400,
        "{backend:?} code reuse"
    );

    let (cid, csecret) = app.add_client(None, "idmap:read introspect").await;
    let access = app.client_token(&cid, &csecret).await;
    let revoke = app
        .client
        .post(app.url("/oauth/revoke"))
        .basic_auth(&cid, Some(&csecret))
        .form(&[("token", &access)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200, "{backend:?}");
    let (_, info) = app.introspect((&cid, &csecret), &access).await;
    assert_eq!(info["active"], false, "{backend:?}");
    let rotated = auth_server::services::client_secrets::rotate(&app.db, &app.hasher, &cid, None)
        .await
        .unwrap();
    let res = app.client_grant(&cid, &rotated.client_secret).await;
    assert_eq!(res.status(), 200, "{backend:?}");
}

/// The user center's tables: mailed links, remembered consents and their
/// withdrawal, owned applications, groups.
async fn user_center_flows(app: &TestApp, backend: idmap_storage::Backend) {
    use auth_server::services::{accounts, applications, consents, groups};
    let mailer = auth_server::services::mailer::Mailer::from_settings(&app.settings).unwrap();
    accounts::register(
        &app.db,
        &mailer,
        "http://auth.test",
        "cy@example.org",
        PASSWORD,
    )
    .await
    .unwrap();
    let user = auth_server::services::users::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "cy@example.org")
        .unwrap();
    let link = accounts::issue_link(&app.db, &user.id, accounts::LinkPurpose::Verify)
        .await
        .unwrap();
    assert!(
        accounts::verify_email(&app.db, &link).await.unwrap(),
        "{backend:?}"
    );
    assert!(
        !accounts::verify_email(&app.db, &link).await.unwrap(),
        "{backend:?}"
    );

    let cb = "https://cy.example/cb";
    let owner = auth_server::services::users::find(&app.db, &user.id)
        .await
        .unwrap()
        .unwrap();
    let input = |name: &str, homepage: &str| applications::ApplicationInput {
        name: name.into(),
        redirect_uris: vec![cb.into()],
        homepage: Some(homepage.into()),
    };
    let created = applications::register(
        &app.db,
        &app.hasher,
        &owner,
        input("Cy's app", "https://cy.example/"),
        true,
    )
    .await
    .unwrap();
    let id = created.client_id;
    assert!(
        applications::update(
            &app.db,
            &owner,
            &id,
            input("Renamed", "https://cy.example/about")
        )
        .await
        .unwrap(),
        "{backend:?}"
    );
    let listed = &applications::list(&app.db, &user.id).await.unwrap()[0];
    assert_eq!(
        (listed.name.as_str(), listed.homepage.as_deref()),
        ("Renamed", Some("https://cy.example/about"))
    );
    let publisher = applications::publisher(&app.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(publisher.owner, "cy@example.org", "{backend:?}");
    let cookie = app.login("cy@example.org", PASSWORD).await;
    let code = app.code(&cookie, &id, cb, None).await;
    let (status, body) = app.exchange_code(&id, cb, &code).await;
    assert_eq!(status, 200, "{backend:?}: {body}");
    let listed = consents::list(&app.db, &user.id).await.unwrap();
    assert_eq!((listed.len(), listed[0].live_tokens), (1, 1), "{backend:?}");
    assert!(
        listed[0].last_used_at.is_some(),
        "the code exchange is a use"
    );
    assert!(
        consents::revoke(&app.db, &user.id, &listed[0].id)
            .await
            .unwrap()
    );
    assert!(consents::list(&app.db, &user.id).await.unwrap().is_empty());

    let g = groups::add_member(&app.db, "UFH", "cy@example.org", "member")
        .await
        .unwrap();
    groups::add_member(&app.db, "UFH", &user.id, "partner_admin")
        .await
        .unwrap();
    let mine = groups::of_user(&app.db, &user.id).await.unwrap();
    assert_eq!(
        (mine.len(), mine[0].role.as_str()),
        (1, "partner_admin"),
        "{backend:?}"
    );
    let seen = groups::visible_group(&app.db, &user.id, &g.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.members.len(), 1, "{backend:?}");
    assert!(
        applications::delete(&app.db, &user.id, &id).await.unwrap(),
        "{backend:?}"
    );
    assert!(
        applications::list(&app.db, &user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn register_and_issue_on_every_backend() {
    for test_db in all_backends() {
        let backend = test_db.backend();
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let app = spawn_app_on(&test_db, dir, &[]).await;

        app.add_partner("UFH").await;
        let dup = clients::add_partner(&app.db, "UFH", "again").await;
        assert!(
            matches!(dup, Err(clients::AdminError::Conflict(_))),
            "{backend:?}"
        );
        let missing = clients::add_client(
            &app.db,
            &app.hasher,
            clients::NewClient {
                partner: Some("NOPE".into()),
                scope: "idmap:link".into(),
                ..clients::NewClient::default()
            },
        )
        .await;
        assert!(
            matches!(missing, Err(clients::AdminError::NotFound(_))),
            "{backend:?}"
        );

        let (id, secret) = app.add_client(Some("UFH"), "idmap:link idmap:read").await;
        let res = app
            .post_token(
                Some((&id, &secret)),
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "idmap:link"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "{backend:?}");
        let body: Value = res.json().await.unwrap();
        let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
        assert_eq!(claims["partner"], "UFH", "{backend:?}");

        // Client ids are case-sensitive on every backend (MySQL collations are not by default).
        let res = app
            .post_token(
                Some((&id.to_ascii_lowercase(), &secret)),
                &[("grant_type", "client_credentials")],
            )
            .await;
        if id != id.to_ascii_lowercase() {
            assert_eq!(res.status(), 401, "{backend:?}");
        }

        let listed = clients::list_clients(&app.db).await.unwrap();
        assert_eq!(listed.len(), 1, "{backend:?}");
        assert!(!listed[0].public && !listed[0].disabled);

        user_flows(&app, backend).await;
        user_center_flows(&app, backend).await;

        assert_eq!(app.ready().await, 200, "{backend:?}");
    }
}
