//! Linkage administration: scope, conflicts list and resolution, merges
//! (answers everywhere, repeats and cycles refused, rule 5 after a merge),
//! rule registration, statistics and the audit log.

use idmap_storage::testing::TestDatabase;
use serde_json::{Value, json};

use crate::helpers::{TestApp, hash, link_body, spawn_app};

async fn admin_get(app: &TestApp, path: &str) -> (u16, Value) {
    app.get_json(path, &app.issuer.admin_token()).await
}

async fn one(app: &TestApp, partner: &str, r: Option<&str>, h: &str) -> String {
    app.link_ok(partner, &link_body(&[(r, &[("F_L_D_S", h)])]))
        .await
        .remove(0)
}

async fn admin_needs_the_admin_scope(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (status, v) = app
        .get_json("/api/v1/admin/stats", &app.issuer.link_token("UFH"))
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    let r = app
        .post(
            "/api/v1/admin/merges",
            None,
            &json!({"from": "x", "into": "y"}),
        )
        .await;
    assert_eq!(r.status(), 401);
    let (status, v) = admin_get(&app, "/api/v1/admin/conflicts?limit=0").await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

async fn conflicts_are_listed_resolved_once_and_audited(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2) = (hash(1), hash(2));
    let a = one(&app, "UFH", None, &h1).await;
    let b = one(&app, "UFH", None, &h2).await;
    let body = link_body(&[(Some("x"), &[("F_L_D_R", &h2), ("F_L_D_S", &h1)])]);
    app.link_ok("FLM", &body).await;

    let (status, v) = admin_get(&app, "/api/v1/admin/conflicts").await;
    assert_eq!(status, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let c = &items[0];
    assert_eq!(
        (c["partner"].as_str(), c["ref"].as_str()),
        (Some("FLM"), Some("x"))
    );
    assert_eq!(c["chosen"], b.as_str());
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(c["candidates"], json!(expected));
    assert!(c["created_at"].as_i64().unwrap() > 0);
    assert_eq!(v["next_after"], Value::Null);

    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/conflicts/{id}/resolve");
    let (status, v) = app.admin_post(&path, &json!({"note": "same person"})).await;
    assert_eq!(
        (status, v["status"].as_str()),
        (200, Some("resolved")),
        "{v}"
    );
    let (status, v) = app.admin_post(&path, &json!({})).await;
    assert_eq!((status, v["error"].as_str()), (409, Some("conflict")));
    let (status, _) = app
        .admin_post("/api/v1/admin/conflicts/999999/resolve", &json!({}))
        .await;
    assert_eq!(status, 404);
    let (_, v) = admin_get(&app, "/api/v1/admin/conflicts").await;
    assert!(v["items"].as_array().unwrap().is_empty());
    let (_, v) = admin_get(&app, "/api/v1/admin/conflicts?status=resolved").await;
    assert_eq!(v["items"][0]["resolution"], "same person");

    let (_, v) = admin_get(&app, "/api/v1/admin/audit").await;
    let actions: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["link", "link", "link", "resolve_conflict"]);
    assert_eq!(v["items"][2]["conflicts"], 1);
}

async fn merges_answer_the_survivor_everywhere_and_refuse_repeats_and_cycles(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2, h3, h4) = (hash(1), hash(2), hash(3), hash(4));
    let a = one(&app, "UFH", Some("a"), &h1).await;
    let b = one(&app, "FLM", Some("b"), &h2).await;
    let merge = |from: &str, into: &str| json!({"from": from, "into": into});

    let (status, v) = app.admin_post("/api/v1/admin/merges", &merge(&a, &b)).await;
    assert_eq!((status, v["into"].as_str()), (200, Some(b.as_str())), "{v}");
    assert_eq!(app.lookup(&[&h1]).await, [Some(b.clone())]);
    assert_eq!(
        one(&app, "UFH", Some("a"), &h1).await,
        b,
        "the ref answers B"
    );
    assert_eq!(one(&app, "ORH", None, &h1).await, b, "the hash answers B");
    let (status, v) = admin_get(&app, &format!("/api/v1/admin/uuids/{a}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (v["survivor"].as_str(), v["merged"].as_bool()),
        (Some(b.as_str()), Some(true))
    );
    let (_, v) = admin_get(&app, &format!("/api/v1/admin/uuids/{b}")).await;
    assert_eq!(
        (v["hashes"].as_i64(), v["refs"].as_i64()),
        (Some(2), Some(2)),
        "{v}"
    );
    assert_eq!(v["merged_from"], json!([a]));

    // Repeated, cyclic, self and unknown merges are refused; nothing changes.
    let (status, _) = app.admin_post("/api/v1/admin/merges", &merge(&a, &b)).await;
    assert_eq!(status, 409);
    let (status, _) = app.admin_post("/api/v1/admin/merges", &merge(&b, &a)).await;
    assert_eq!(status, 409, "B into A after A into B is a cycle");
    let (status, _) = app.admin_post("/api/v1/admin/merges", &merge(&b, &b)).await;
    assert_eq!(status, 400);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let (status, _) = app
        .admin_post("/api/v1/admin/merges", &merge(unknown, &b))
        .await;
    assert_eq!(status, 404);

    // Into a merged UUID follows it to its survivor; merging the survivor
    // repoints everything merged into it; a longer cycle is refused.
    let c = one(&app, "UFH", Some("c"), &h3).await;
    let (status, v) = app.admin_post("/api/v1/admin/merges", &merge(&c, &a)).await;
    assert_eq!((status, v["into"].as_str()), (200, Some(b.as_str())), "{v}");
    let d = one(&app, "TGH", None, &h4).await;
    let (status, _) = app.admin_post("/api/v1/admin/merges", &merge(&b, &d)).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.lookup(&[&h1, &h2, &h3, &h4]).await,
        vec![Some(d.clone()); 4]
    );
    let (status, _) = app.admin_post("/api/v1/admin/merges", &merge(&d, &a)).await;
    assert_eq!(status, 409, "D into A after A, B into D is a cycle");
    let (_, v) = admin_get(&app, &format!("/api/v1/admin/uuids/{a}")).await;
    assert_eq!(v["survivor"], d.as_str());
    let (_, v) = admin_get(&app, &format!("/api/v1/admin/uuids/{d}")).await;
    assert_eq!(v["hashes"], 4);
    assert_eq!(app.counts().await["merges"], 3);
    let (_, v) = admin_get(&app, "/api/v1/admin/audit?after=0&limit=1000").await;
    let merges = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "merge")
        .count();
    assert_eq!(merges, 3, "refused merges are not audited");
}

async fn rule_5_sees_refs_held_through_a_merged_uuid(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2) = (hash(1), hash(2));
    let u1 = one(&app, "UFH", Some("r1"), &h1).await;
    let u2 = one(&app, "FLM", None, &h2).await;
    let (status, _) = app
        .admin_post("/api/v1/admin/merges", &json!({"from": u1, "into": u2}))
        .await;
    assert_eq!(status, 200);
    // UFH holds U2 now (through r1): another UFH ref sending U2's hash is
    // a different person sharing it (rule 5).
    let r3 = one(&app, "UFH", Some("r3"), &h2).await;
    assert_ne!(r3, u2);
    assert_eq!(app.counts().await["ambiguous"], 1);
    assert_eq!(one(&app, "UFH", Some("r1"), &h1).await, u2);
}

async fn rules_register_at_once_and_stats_count_per_partner(db: TestDatabase) {
    let app = spawn_app(db).await;
    let body = link_body(&[(Some("p"), &[("X_NEW", &hash(9))])]);
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    assert_eq!(r.status(), 400, "unknown rule before registration");
    let rule = json!({"code": "X_NEW", "description": "test rule"});
    let (status, _) = app.admin_post("/api/v1/admin/rules", &rule).await;
    assert_eq!(status, 201);
    let (status, _) = app.admin_post("/api/v1/admin/rules", &rule).await;
    assert_eq!(status, 409);
    let (status, _) = app
        .admin_post("/api/v1/admin/rules", &json!({"code": "lower"}))
        .await;
    assert_eq!(status, 400);
    app.link_ok("UFH", &body).await;

    let (shared, h_a, h_b) = (hash(10), hash(11), hash(12));
    app.link_ok(
        "UFH",
        &link_body(&[
            (Some("A"), &[("F_L_D_S", &shared), ("F_L_D_R", &h_a)]),
            (Some("B"), &[("F_L_D_S", &shared), ("F_L_D_R", &h_b)]),
        ]),
    )
    .await;
    one(&app, "FLM", None, &hash(13)).await;
    let (status, v) = admin_get(&app, "/api/v1/admin/stats").await;
    assert_eq!(status, 200);
    assert_eq!(
        v["partners"]["UFH"],
        json!({"patients": 3, "hashes": 4, "ambiguous_hashes": 1, "open_conflicts": 0})
    );
    assert_eq!(v["partners"]["FLM"]["hashes"], 1);
    assert_eq!(v["partners"]["FLM"]["patients"], 0);
    assert_eq!(v["uuids"], 4);
}

async fn the_audit_log_has_counts_and_request_ids_but_never_hashes(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2) = (hash(0xfeed), hash(0xbeef));
    let r = app
        .http
        .post(format!("{}/api/v1/link", app.url))
        .bearer_auth(app.issuer.link_token("UFH"))
        .header("X-Request-Id", "req-audit-1")
        .json(&link_body(&[
            (Some("secret-ref"), &[("F_L_D_S", &h1)]),
            (None, &[("F_L_D_S", &h1), ("F_L_D_R", &h2)]),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, v) = admin_get(&app, "/api/v1/admin/audit").await;
    let e = &v["items"][0];
    assert_eq!(e["action"], "link");
    assert_eq!(e["partner"], "UFH");
    assert_eq!(e["client_id"], "client-1");
    assert_eq!(e["request_id"], "req-audit-1");
    assert_eq!(
        (
            e["patients"].as_i64(),
            e["new_uuids"].as_i64(),
            e["matched"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let text = v.to_string();
    assert!(!text.contains(&h1) && !text.contains(&h2) && !text.contains("secret-ref"));
    // A refused request is not logged; /api/save that stores something is
    // (h2 is known, a new hash beside it makes the request write).
    let bad = link_body(&[(None, &[("F_L_D_S", "zz")])]);
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &bad)
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .post(
            "/api/save",
            Some(&app.issuer.link_token("FLM")),
            &json!({"data": {"0": {"1": h2, "2": hash(0xcafe)}}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (_, v) = admin_get(&app, "/api/v1/admin/audit?after=1").await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["action"].as_str(), items[0]["matched"].as_i64()),
        (Some("save"), Some(1))
    );
}

per_backend!(
    admin_needs_the_admin_scope,
    conflicts_are_listed_resolved_once_and_audited,
    merges_answer_the_survivor_everywhere_and_refuse_repeats_and_cycles,
    rule_5_sees_refs_held_through_a_merged_uuid,
    rules_register_at_once_and_stats_count_per_partner,
    the_audit_log_has_counts_and_request_ids_but_never_hashes,
);
