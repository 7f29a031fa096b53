//! auth-server's own protected endpoints (here the admin API) read
//! revocations from the same in-memory snapshot as introspection: a token
//! revoked elsewhere (SQL on the database, as another replica or the CLI
//! writes it) is refused on every replica for every request sent
//! `STALE_AFTER` after the commit, even one that was accepted, and so
//! remembered as verified, just before. On every backend.

use idmap_storage::Backend;
use reqwest::Method;

use crate::support::{TestApp, on_replicas_of_every_backend, revoke_sql};

#[tokio::test]
async fn a_token_revoked_elsewhere_is_refused_by_every_replica_within_the_bound() {
    on_replicas_of_every_backend(on_backend).await;
}

async fn on_backend(backend: Backend, a: TestApp, b: TestApp) {
    let token = a.admin_token().await;
    for app in [&a, &b] {
        let (status, _) = app
            .admin_call(Some(&token), Method::GET, "/clients", None)
            .await;
        assert_eq!(status, 200, "{backend:?}");
    }

    let jti = a.verify(&token).await.1["jti"].as_str().unwrap().to_owned();
    a.commit_elsewhere(revoke_sql(&jti)).await;
    for app in [&a, &b] {
        let (status, _) = app
            .admin_call(Some(&token), Method::GET, "/clients", None)
            .await;
        assert_eq!(status, 401, "{backend:?}");
    }
}
