//! Two replicas on one database answer tokens and introspection from their
//! in-memory snapshot of clients and revocations. A change committed
//! elsewhere (here SQL on the database itself, as the CLI or a third
//! replica would write it) holds on both for every request sent
//! `STALE_AFTER` after the commit: a disabled client, a retired secret and
//! a revoked token. On every backend.

use idmap_common::clock::now_unix;
use idmap_storage::Backend;

use crate::support::{TestApp, on_replicas_of_every_backend, revoke_sql};

async fn token_status(app: &TestApp, (id, secret): &(String, String)) -> u16 {
    app.client_grant(id, secret).await.status().as_u16()
}

async fn active(app: &TestApp, (id, secret): &(String, String), token: &str) -> bool {
    app.introspect_active((id, secret), token).await
}

#[tokio::test]
async fn changes_made_elsewhere_reach_every_replica_within_the_bound() {
    on_replicas_of_every_backend(on_backend).await;
}

async fn on_backend(backend: Backend, a: TestApp, b: TestApp) {
    let disabled = a.add_client(None, "idmap:read").await;
    let retired = a.add_client(None, "idmap:read").await;
    let holder = a.add_client(None, "idmap:read").await;
    let inspector = a.add_client(None, "introspect").await;
    let token = a.client_token(&holder.0, &holder.1).await;
    for app in [&a, &b] {
        assert_eq!(token_status(app, &disabled).await, 200, "{backend:?}");
        assert_eq!(token_status(app, &retired).await, 200, "{backend:?}");
        assert!(active(app, &inspector, &token).await, "{backend:?}");
    }

    let jti = a.verify(&token).await.1["jti"].as_str().unwrap().to_owned();
    let sql = format!(
        "UPDATE clients SET disabled = TRUE WHERE client_id = '{}'; \
             UPDATE client_secrets SET expires_at = {now} WHERE client_id = '{}'; {}",
        disabled.0,
        retired.0,
        revoke_sql(&jti),
        now = now_unix(),
    );
    a.commit_elsewhere(sql).await;
    for app in [&a, &b] {
        assert_eq!(token_status(app, &disabled).await, 401, "{backend:?}");
        assert_eq!(token_status(app, &retired).await, 401, "{backend:?}");
        assert!(!active(app, &inspector, &token).await, "{backend:?}");
        assert_eq!(token_status(app, &holder).await, 200, "{backend:?}");
    }
}
