//! The same flow on every backend: migrations apply, partners and clients
//! are stored, a token is issued. SQLite always; PostgreSQL and MariaDB
//! when their local servers run (required under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use auth_server::services::clients;
use idmap_storage::testing::all_backends;
use serde_json::Value;
use support::spawn_app_in;

#[tokio::test]
async fn register_and_issue_on_every_backend() {
    for test_db in all_backends() {
        let backend = test_db.backend();
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let app = spawn_app_in(dir, &[("AUTH_DATABASE_URL", test_db.url())]).await;

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
                name: None,
                public: false,
                redirect_uris: vec![],
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

        let res = app
            .client
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{backend:?}");
    }
}
