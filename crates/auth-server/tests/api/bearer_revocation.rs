//! auth-server's own protected endpoints (here the admin API) read
//! revocations from the same in-memory snapshot as introspection: a token
//! revoked elsewhere (SQL on the database, as another replica or the CLI
//! writes it) is refused on every replica for every request sent
//! `STALE_AFTER` after the commit, even one that was accepted, and so
//! remembered as verified, just before. On every backend.

use std::time::{Duration, Instant};

use auth_server::services::credentials::STALE_AFTER;
use diesel::connection::SimpleConnection;
use idmap_common::clock::now_unix;
use idmap_storage::StorageError;
use idmap_storage::testing::{TestDatabase, all_backends};
use reqwest::Method;

use crate::support::spawn_replicas;

#[tokio::test]
async fn a_token_revoked_elsewhere_is_refused_by_every_replica_within_the_bound() {
    futures_util::future::join_all(all_backends().map(on_backend)).await;
}

async fn on_backend(test_db: TestDatabase) {
    let backend = test_db.backend();
    let (a, b) = spawn_replicas(&test_db).await;

    let token = a.admin_token().await;
    for app in [&a, &b] {
        let (status, _) = app
            .admin_call(Some(&token), Method::GET, "/clients", None)
            .await;
        assert_eq!(status, 200, "{backend:?}");
    }

    let jti = a.verify(&token).await.1["jti"].as_str().unwrap().to_owned();
    let sql = format!(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ('{jti}', {});",
        now_unix() + 3_600
    );
    a.db.run(move |c| c.batch_execute(&sql).map_err(StorageError::from))
        .await
        .unwrap();
    let committed = Instant::now();

    tokio::time::sleep_until((committed + STALE_AFTER + Duration::from_millis(10)).into()).await;
    for app in [&a, &b] {
        let (status, _) = app
            .admin_call(Some(&token), Method::GET, "/clients", None)
            .await;
        assert_eq!(status, 401, "{backend:?}");
    }
}
