//! `POST /api/v1/lookup`: read-only answers in request order.

use serde_json::{Value, json};

use crate::helpers::{hash, link_body, spawn_app};
use idmap_storage::testing::TestDatabase;

async fn lookup_answers_bound_unknown_and_ambiguous_hashes_and_writes_nothing(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2, shared) = (hash(1), hash(2), hash(3));
    let a = app
        .link_ok(
            "UFH",
            &link_body(&[(Some("A"), &[("F_L_D_S", &h1), ("F_L_D_R", &shared)])]),
        )
        .await;
    let b = app
        .link_ok(
            "UFH",
            &link_body(&[(Some("B"), &[("F_L_D_S", &h2), ("F_L_D_R", &shared)])]),
        )
        .await;
    assert_eq!(app.counts().await["ambiguous"], 1);
    let before = app.counts().await;
    let unknown = hash(99);
    let body = json!({"hashes": [h2.to_uppercase(), unknown, shared, h1]});
    let r = app
        .post("/api/v1/lookup", Some(&app.issuer.read_token()), &body)
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"results": [
            {"hash": h2, "uuid": b[0]},
            {"hash": unknown, "uuid": null},
            {"hash": shared, "uuid": a[0]},
            {"hash": h1, "uuid": a[0]},
        ]})
    );
    assert_eq!(app.counts().await, before);
}

async fn lookup_needs_the_read_scope_and_validates_hashes(db: TestDatabase) {
    let app = spawn_app(db).await;
    let r = app
        .lookup_as(&app.issuer.link_token("UFH"), &json!([]))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .lookup_as(&app.issuer.read_token(), &json!([hash(1), "xyz"]))
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
    assert_eq!(v["details"][0]["index"], 1);
    assert_eq!(v["details"][0]["field"], "hashes[1]");
}

per_backend!(
    lookup_answers_bound_unknown_and_ambiguous_hashes_and_writes_nothing,
    lookup_needs_the_read_scope_and_validates_hashes,
);
