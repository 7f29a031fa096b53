//! `POST /api/v1/link` end to end: answers, persistence, rules across requests.

use serde_json::{Value, json};

use crate::helpers::{hash, link_body, spawn_app};
use idmap_storage::testing::TestDatabase;

fn is_hyphenated_lowercase(u: &str) -> bool {
    uuid::Uuid::try_parse(u)
        .is_ok_and(|p| p.hyphenated().to_string() == u && p.get_version_num() == 4)
}

async fn link_answers_in_request_order_with_refs_and_null(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2, h3) = (hash(1), hash(2), hash(3));
    let body = link_body(&[
        (Some("p1"), &[("F_L_D_S", &h1), ("F_L_D_R", &h2)]),
        (None, &[("F_L_D_S", &h3)]),
        (Some("p3"), &[("F_L_D_R", &h2)]),
    ]);
    let r = app
        .post("/api/v1/link", Some(&app.issuer.link_token("UFH")), &body)
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ref"], "p1");
    assert_eq!(results[1]["ref"], Value::Null);
    assert_eq!(results[2]["ref"], "p3");
    for r in results {
        assert!(is_hyphenated_lowercase(r["uuid"].as_str().unwrap()), "{r}");
    }
    assert_ne!(results[0]["uuid"], results[1]["uuid"]);
    // p3 shares h2 with p1 under another ref: rule 5, a different person.
    assert_ne!(results[0]["uuid"], results[2]["uuid"]);
    let counts = app.counts().await;
    assert_eq!(counts["uuids"], 3);
    assert_eq!(counts["bindings"], 3);
    assert_eq!(counts["patient_refs"], 2);
    assert_eq!(counts["ambiguous"], 1);
}

async fn uppercase_hashes_match_lowercase_ones_and_retries_are_stable(db: TestDatabase) {
    let app = spawn_app(db).await;
    let h = hash(0xabc);
    let first = app
        .link_ok("UFH", &link_body(&[(Some("a"), &[("F_L_D_S", &h)])]))
        .await;
    let upper = h.to_uppercase();
    let again = app
        .link_ok("UFH", &link_body(&[(Some("a"), &[("F_L_D_S", &upper)])]))
        .await;
    assert_eq!(first, again);
    // Another partner with the same hash gets the same person.
    let other = app
        .link_ok("FLM", &link_body(&[(None, &[("F_L_D_S", &upper)])]))
        .await;
    assert_eq!(first, other);
    assert_eq!(app.counts().await["bindings"], 1);
}

async fn a_conflict_is_recorded_once_even_when_retried(db: TestDatabase) {
    let app = spawn_app(db).await;
    let (h1, h2) = (hash(1), hash(2));
    let a = app
        .link_ok("UFH", &link_body(&[(None, &[("F_L_D_S", &h1)])]))
        .await;
    let b = app
        .link_ok("UFH", &link_body(&[(None, &[("F_L_D_S", &h2)])]))
        .await;
    assert_ne!(a, b);
    let body = link_body(&[(Some("x"), &[("F_L_D_R", &h2), ("F_L_D_S", &h1)])]);
    let first = app.link_ok("FLM", &body).await;
    assert_eq!(first, b, "highest-priority hash wins");
    assert_eq!(app.counts().await["conflicts"], 1);
    let again = app.link_ok("FLM", &body).await;
    assert_eq!(again, first);
    let counts = app.counts().await;
    assert_eq!(counts["conflicts"], 1);
    assert_eq!(
        counts["ambiguous"], 0,
        "a conflict does not make a hash ambiguous"
    );
}

async fn same_partner_protection_across_requests_and_ambiguous_hashes_never_link_again(
    db: TestDatabase,
) {
    let app = spawn_app(db).await;
    let (shared, h_a, h_b) = (hash(10), hash(11), hash(12));
    let a = app
        .link_ok(
            "UFH",
            &link_body(&[(Some("A"), &[("F_L_D_S", &shared), ("F_L_D_R", &h_a)])]),
        )
        .await;
    let b = app
        .link_ok(
            "UFH",
            &link_body(&[(Some("B"), &[("F_L_D_S", &shared), ("F_L_D_R", &h_b)])]),
        )
        .await;
    assert_ne!(a, b);
    assert_eq!(app.counts().await["ambiguous"], 1);
    // Another partner sending only the ambiguous hash is not linked to A.
    let c = app
        .link_ok("FLM", &link_body(&[(Some("C"), &[("F_L_D_S", &shared)])]))
        .await;
    assert_ne!(c, a);
    assert_ne!(c, b);
    // Without a ref and only ambiguous hashes: a fresh UUID each time, nothing stored.
    let before = app.counts().await;
    let d1 = app
        .link_ok("FLM", &link_body(&[(None, &[("F_L_D_S", &shared)])]))
        .await;
    let d2 = app
        .link_ok("FLM", &link_body(&[(None, &[("F_L_D_S", &shared)])]))
        .await;
    assert_ne!(d1, d2);
    assert_eq!(app.counts().await, before);
}

async fn same_partner_protection_within_a_request_for_a_hash_bound_through_a_known_ref(
    db: TestDatabase,
) {
    let app = spawn_app(db).await;
    let (old, new) = (hash(20), hash(21));
    let a = app
        .link_ok("UFH", &link_body(&[(Some("A"), &[("F_L_D_S", &old)])]))
        .await;
    // A is known: its new hash is bound to A's UUID, which B then meets.
    let body = link_body(&[
        (Some("A"), &[("F_L_D_R", &new)]),
        (Some("B"), &[("F_L_D_R", &new)]),
    ]);
    let both = app.link_ok("UFH", &body).await;
    assert_eq!(both[0], a[0]);
    assert_ne!(both[1], a[0]);
    assert_eq!(app.counts().await["ambiguous"], 1);
}

async fn empty_patient_list_is_an_empty_answer(db: TestDatabase) {
    let app = spawn_app(db).await;
    let v = app.link_ok("UFH", &json!({"patients": []})).await;
    assert!(v.is_empty());
}

async fn a_thousand_patients_in_one_request(db: TestDatabase) {
    let app = spawn_app(db).await;
    let patients: Vec<Value> = (0..1000u32)
        .map(|i| {
            json!({"ref": format!("r{i}"), "hashes": [
                {"rule": "F_L_D_S", "hash": hash(100_000 + i)},
                {"rule": "F_L_D_R", "hash": hash(200_000 + i / 2)},
            ]})
        })
        .collect();
    let body = json!({ "patients": patients });
    let first = app.link_ok("UFH", &body).await;
    assert_eq!(first.len(), 1000);
    let again = app.link_ok("UFH", &body).await;
    assert_eq!(first, again);
    let counts = app.counts().await;
    assert_eq!(counts["patient_refs"], 1000);
    assert_eq!(counts["bindings"], 1500);
    assert_eq!(
        counts["ambiguous"], 500,
        "each pair shares its F_L_D_R hash"
    );
}

/// The largest batch with four hashes per patient: 40,000 hashes, more bind
/// parameters than one statement may carry on any backend, so reads and
/// multi-row inserts must be chunked (and MariaDB's packet limit kept).
async fn the_largest_batch_is_chunked_below_every_bind_limit(db: TestDatabase) {
    let app = spawn_app(db).await;
    let patients: Vec<Value> = (0..10_000u32)
        .map(|i| {
            json!({"ref": format!("big-{i}"), "hashes": [
                {"rule": "F_L_D_S", "hash": hash(1_000_000 + i)},
                {"rule": "F_L_D_R", "hash": hash(2_000_000 + i)},
                {"rule": "F_L_D_Z", "hash": hash(3_000_000 + i)},
                {"rule": "L_F_D_Z", "hash": hash(4_000_000 + i)},
            ]})
        })
        .collect();
    let body = json!({ "patients": patients });
    let first = app.link_ok("UFH", &body).await;
    assert_eq!(first.len(), 10_000);
    let counts = app.counts().await;
    assert_eq!(counts["bindings"], 40_000);
    assert_eq!(counts["uuids"], 10_000);
    assert_eq!(app.link_ok("UFH", &body).await, first);
}

per_backend!(
    link_answers_in_request_order_with_refs_and_null,
    uppercase_hashes_match_lowercase_ones_and_retries_are_stable,
    a_conflict_is_recorded_once_even_when_retried,
    same_partner_protection_across_requests_and_ambiguous_hashes_never_link_again,
    same_partner_protection_within_a_request_for_a_hash_bound_through_a_known_ref,
    empty_patient_list_is_an_empty_answer,
    a_thousand_patients_in_one_request,
    the_largest_batch_is_chunked_below_every_bind_limit,
);
