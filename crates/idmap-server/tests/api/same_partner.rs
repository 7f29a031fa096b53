//! Rule 5's within-partner policies end to end: `ambiguous` with its causing partner in statistics, audit and the admin view;
//! `separate`; `link` with the duplicates list; refs declared distinct;
//! the too-many-refs guard; the evidence decision with rule weights and
//! their EM estimate; and bad input on every new endpoint.

use idmap_storage::testing::TestDatabase;
use serde_json::{Value, json};

use crate::helpers::{TestApp, hash, link_body, spawn_app, spawn_app_with};

async fn with_policy(db: TestDatabase, policy: &str) -> TestApp {
    spawn_app_with(db, &[("IDMAP_SAME_PARTNER_POLICY", policy)]).await
}

async fn admin_get(app: &TestApp, path: &str) -> (u16, Value) {
    app.get_json(path, &app.issuer.admin_token()).await
}

async fn one(app: &TestApp, partner: &str, r: &str, hashes: &[(&str, &str)]) -> String {
    app.link_ok(partner, &link_body(&[(Some(r), hashes)]))
        .await
        .remove(0)
}

/// UFH's patient `b`: the F_L_D_S hash `shared` (which UFH's `a` holds
/// alone) and an F_L_D_R hash of its own; its UUID.
async fn sharing_b(app: &TestApp, shared: &str) -> String {
    one(
        app,
        "UFH",
        "b",
        &[("F_L_D_S", shared), ("F_L_D_R", &hash(2))],
    )
    .await
}

async fn duplicates(app: &TestApp, partner: &str, query: &str) -> (u16, Value) {
    app.get_json(
        &format!("/api/v1/duplicates{query}"),
        &app.issuer.link_token(partner),
    )
    .await
}

async fn distinct(app: &TestApp, token: Option<&str>, body: &Value) -> (u16, Value) {
    let r = app.post("/api/v1/distinct", token, body).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn patch(app: &TestApp, token: Option<&str>, code: &str, body: &Value) -> (u16, Value) {
    let mut req = app
        .http
        .patch(format!("{}/api/v1/admin/rules/{code}", app.url))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn ambiguous_is_counted_under_the_partner_that_caused_it(db: TestDatabase) {
    let app = with_policy(db, "ambiguous").await;
    let (status, config) = admin_get(&app, "/api/v1/admin/config").await;
    assert_eq!(status, 200);
    assert_eq!(config["same_partner_policy"], "ambiguous");
    assert_eq!(config["max_refs_per_hash"], 10);
    assert_eq!(config["link_threshold"], 0.0);

    let shared = hash(1);
    let first = one(&app, "FLM", "x", &[("F_L_D_S", &shared)]).await;
    let a = one(&app, "UFH", "a", &[("F_L_D_S", &shared)]).await;
    assert_eq!(a, first);
    let b = sharing_b(&app, &shared).await;
    assert_ne!(b, first, "rule 5: b is another person");

    let (_, stats) = admin_get(&app, "/api/v1/admin/stats").await;
    assert_eq!(stats["partners"]["UFH"]["ambiguous_hashes"], 1);
    assert_eq!(stats["partners"]["FLM"]["ambiguous_hashes"], 0);
    assert_eq!(stats["partners"]["FLM"]["hashes"], 1, "FLM bound it first");

    let (_, audit) = admin_get(&app, "/api/v1/admin/audit").await;
    let last = audit["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["partner"].as_str(), last["ambiguous"].as_i64()),
        (Some("UFH"), Some(1))
    );
    assert_eq!(last["detail"], "made hashes ambiguous: refs 1");

    let (status, view) = admin_get(&app, "/api/v1/admin/ambiguous").await;
    assert_eq!(status, 200);
    assert_eq!(view["next_after"], Value::Null);
    let item = &view["items"][0];
    assert_eq!(item["hash"], shared);
    assert_eq!(item["uuid"], first.as_str());
    assert_eq!(item["partner"], "UFH");
    assert_eq!(item["reason"], "refs");
    assert_eq!(item["refs"], 2);
    let (_, mine) = admin_get(&app, "/api/v1/admin/ambiguous?partner=FLM").await;
    assert_eq!(mine["items"], json!([]));
    for bad in ["?partner=bad%20code", "?status=open", "?limit=0", "?x=1"] {
        let (status, v) = admin_get(&app, &format!("/api/v1/admin/ambiguous{bad}")).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad}"
        );
    }
    let (status, _) = app
        .get_json("/api/v1/admin/ambiguous", &app.issuer.link_token("UFH"))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get_json("/api/v1/admin/config", &app.issuer.read_token())
        .await;
    assert_eq!(status, 403);
    // Nothing about duplicates under this policy.
    assert_eq!(duplicates(&app, "UFH", "").await.1["items"], json!([]));
}

async fn separate_keeps_the_hash_linking_for_others_across_and_within_requests(db: TestDatabase) {
    let app = with_policy(db, "separate").await;
    let shared = hash(1);
    let a = one(&app, "UFH", "a", &[("F_L_D_S", &shared)]).await;
    let b = sharing_b(&app, &shared).await;
    assert_ne!(a, b);
    let other = one(&app, "FLM", "x", &[("F_L_D_S", &shared)]).await;
    assert_eq!(other, a, "the hash still links other partners");
    assert_eq!(app.counts().await["ambiguous"], 0);
    // Within one request.
    let (h3, h4) = (hash(3), hash(4));
    let both = app
        .link_ok(
            "UFH",
            &link_body(&[
                (Some("c"), &[("F_L_D_S", &h3)]),
                (Some("d"), &[("F_L_D_S", &h3), ("F_L_D_R", &h4)]),
            ]),
        )
        .await;
    assert_ne!(both[0], both[1]);
    assert_eq!(
        app.lookup(&[&h3, &h4]).await,
        [Some(both[0].clone()), Some(both[1].clone())]
    );
    assert_eq!(duplicates(&app, "UFH", "").await.1["items"], json!([]));
}

async fn link_lists_possible_duplicates_paged_and_only_to_their_partner(db: TestDatabase) {
    let app = with_policy(db, "link").await;
    let (h1, h2, h3) = (hash(1), hash(2), hash(3));
    let a = one(&app, "UFH", "a", &[("F_L_D_S", &h1), ("F_L_D_Z", &h2)]).await;
    let b = one(&app, "UFH", "b", &[("F_L_D_S", &h1), ("F_L_D_Z", &h2)]).await;
    assert_eq!(a, b, "two records of one person");
    // Within one request: c ties to a through h2, d to c through h3.
    let cd = app
        .link_ok(
            "UFH",
            &link_body(&[
                (Some("c"), &[("F_L_D_C", &h3), ("F_L_D_Z", &h2)]),
                (Some("d"), &[("F_L_D_C", &h3)]),
            ]),
        )
        .await;
    assert_eq!(cd, [a.clone(), a.clone()]);
    assert_eq!(app.counts().await["ambiguous"], 0);

    let (status, all) = duplicates(&app, "UFH", "?limit=1000").await;
    assert_eq!(status, 200);
    let items = all["items"].as_array().unwrap();
    let pairs: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["refs"][0].as_str().unwrap().into(),
                i["refs"][1].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(pairs.contains(&("a".into(), "b".into())), "{all}");
    assert!(pairs.contains(&("a".into(), "c".into())), "{all}");
    assert!(pairs.contains(&("c".into(), "d".into())), "{all}");
    let ab = items
        .iter()
        .find(|i| i["refs"] == json!(["a", "b"]))
        .unwrap();
    assert_eq!(ab["rules"], json!(["F_L_D_S", "F_L_D_Z"]));
    assert!(!all.to_string().contains(&h1), "no hashes in the list");

    // Paging.
    let (_, page1) = duplicates(&app, "UFH", "?limit=1").await;
    assert_eq!(page1["items"].as_array().unwrap().len(), 1);
    let after = page1["next_after"].as_i64().unwrap();
    let (_, page2) = duplicates(&app, "UFH", &format!("?after={after}&limit=1000")).await;
    assert_eq!(page2["items"].as_array().unwrap().len(), items.len() - 1);
    assert_eq!(page2["next_after"], Value::Null);

    // Another partner sees none of them, and a retry records nothing new.
    assert_eq!(duplicates(&app, "FLM", "").await.1["items"], json!([]));
    one(&app, "UFH", "b", &[("F_L_D_S", &h1), ("F_L_D_Z", &h2)]).await;
    assert_eq!(
        duplicates(&app, "UFH", "?limit=1000").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        items.len()
    );

    // Declared distinct: off the list.
    let (status, v) = distinct(
        &app,
        Some(&app.issuer.link_token("UFH")),
        &json!({"refs": ["b", "a"]}),
    )
    .await;
    assert_eq!((status, v), (200, json!({"refs": ["a", "b"]})));
    let (_, after_distinct) = duplicates(&app, "UFH", "?limit=1000").await;
    assert!(
        !after_distinct["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["refs"] == json!(["a", "b"]))
    );

    // Bad input and auth, in the contract's order.
    for bad in ["?limit=0", "?after=x", "?status=open", "?partner=UFH"] {
        let (status, v) = duplicates(&app, "UFH", bad).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad}"
        );
    }
    let r = app
        .request(reqwest::Method::GET, "/api/v1/duplicates")
        .await;
    assert_eq!(r.status(), 401);
    let (status, v) = app
        .get_json("/api/v1/duplicates", &app.issuer.read_token())
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    let no_partner = app.issuer.sign(&app.issuer.claims("idmap:link", None));
    let (status, v) = app.get_json("/api/v1/duplicates", &no_partner).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("partner_required"))
    );
}

async fn refs_declared_distinct_stop_linking_whatever_the_policy(db: TestDatabase) {
    let app = with_policy(db, "link").await;
    let token = app.issuer.link_token("UFH");
    // Declared before either ref exists: a forward declaration, idempotent.
    for _ in 0..2 {
        let (status, v) =
            distinct(&app, Some(&token), &json!({"refs": ["twin-1", "twin-2"]})).await;
        assert_eq!((status, v), (200, json!({"refs": ["twin-1", "twin-2"]})));
    }
    let shared = hash(1);
    let mut twins = Vec::new();
    for (r, own) in [("twin-1", hash(2)), ("twin-2", hash(3))] {
        let hashes = [("F_L_D_Z", shared.as_str()), ("F_L_D_S", own.as_str())];
        twins.push(one(&app, "UFH", r, &hashes).await);
    }
    assert_ne!(twins[0], twins[1]);
    let (_, view) = admin_get(&app, "/api/v1/admin/ambiguous").await;
    assert_eq!(view["items"][0]["reason"], "distinct");
    assert_eq!(view["items"][0]["partner"], "UFH");
    assert_eq!(duplicates(&app, "UFH", "").await.1["items"], json!([]));

    let before = app.counts().await;
    for body in [
        json!({"refs": ["a"]}),
        json!({"refs": ["a", "b", "c"]}),
        json!({"refs": ["a", "a"]}),
        json!({"refs": ["a", ""]}),
        json!({"refs": ["a", "b"], "extra": 1}),
        json!({"refs": "a,b"}),
        json!({}),
    ] {
        let (status, v) = distinct(&app, Some(&token), &body).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("invalid_request")),
            "{body}"
        );
    }
    let body = json!({"refs": ["a", "b"]});
    assert_eq!(distinct(&app, None, &body).await.0, 401);
    let (status, v) = distinct(&app, Some(&app.issuer.admin_token()), &body).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    let no_partner = app.issuer.sign(&app.issuer.claims("idmap:link", None));
    let (status, v) = distinct(&app, Some(&no_partner), &json!({"refs": 1})).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("partner_required"))
    );
    let r = app
        .http
        .post(format!("{}/api/v1/distinct", app.url))
        .bearer_auth(&token)
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(app.counts().await, before);
}

async fn a_hash_under_too_many_refs_stops_linking_and_admins_see_why(db: TestDatabase) {
    let app = spawn_app_with(
        db,
        &[
            ("IDMAP_SAME_PARTNER_POLICY", "separate"),
            ("IDMAP_MAX_REFS_PER_HASH", "3"),
        ],
    )
    .await;
    let placeholder = hash(0xbab1);
    let mut answers = Vec::new();
    for i in 0..4u32 {
        let r = format!("baby-{i}");
        answers.push(
            one(
                &app,
                "UFH",
                &r,
                &[("F_L_D_S", &placeholder), ("F_L_D_Z", &hash(100 + i))],
            )
            .await,
        );
    }
    let distinct_answers: std::collections::HashSet<&String> = answers.iter().collect();
    assert_eq!(distinct_answers.len(), 4, "separate: each its own person");
    let (_, view) = admin_get(&app, "/api/v1/admin/ambiguous").await;
    let item = &view["items"][0];
    assert_eq!(item["reason"], "too_many_refs");
    assert_eq!(item["partner"], "UFH");
    assert_eq!(item["refs"], 4);
    // It no longer links anyone, at any partner.
    let other = one(&app, "FLM", "z", &[("F_L_D_S", &placeholder)]).await;
    assert_ne!(other, answers[0]);
    let (_, audit) = admin_get(&app, "/api/v1/admin/audit?limit=1000").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"] == "made hashes ambiguous: too_many_refs 1")
    );
}

async fn evidence_decides_by_weights_and_estimates_them(db: TestDatabase) {
    let app = with_policy(db, "evidence").await;
    let (status, rule) = app
        .admin_post(
            "/api/v1/admin/rules",
            &json!({"code": "L_D_Z", "description": "last dob zip", "priority": 100, "m": 0.95, "u": 0.05}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        rule,
        json!({"code": "L_D_Z", "description": "last dob zip", "priority": 100, "m": 0.95, "u": 0.05})
    );
    let admin = app.issuer.admin_token();
    let (status, fs) = patch(
        &app,
        Some(&admin),
        "F_L_D_S",
        &json!({"m": 0.95, "u": 0.001}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (fs["priority"].as_i64(), fs["m"].as_f64()),
        (Some(10), Some(0.95))
    );

    let (last_zip, first_a) = (hash(1), hash(2));
    let a = one(
        &app,
        "UFH",
        "a",
        &[("F_L_D_S", &first_a), ("L_D_Z", &last_zip)],
    )
    .await;
    // A twin: same last name, birth date and ZIP, another first name.
    let twin = one(
        &app,
        "FLM",
        "t",
        &[("F_L_D_S", &hash(3)), ("L_D_Z", &last_zip)],
    )
    .await;
    assert_ne!(
        twin, a,
        "the first-name disagreement outweighs the shared key"
    );
    let (_, conflicts) = admin_get(&app, "/api/v1/admin/conflicts").await;
    assert_eq!(
        conflicts["items"].as_array().unwrap().len(),
        1,
        "recorded for admins"
    );
    // The same person at another partner links.
    let same = one(
        &app,
        "FLM",
        "s",
        &[("F_L_D_S", &first_a), ("L_D_Z", &last_zip)],
    )
    .await;
    assert_eq!(same, a);

    let (status, est) = app
        .admin_post(
            "/api/v1/admin/rules/estimate",
            &json!({"apply": false, "min_comparisons": 1}),
        )
        .await;
    assert_eq!(status, 200, "{est}");
    let codes: Vec<&str> = est["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["F_L_D_S", "L_D_Z"]);
    for r in est["rules"].as_array().unwrap() {
        assert!(r["comparisons"].as_u64().unwrap() >= 1, "{r}");
        assert!(r["m"].is_f64() && r["u"].is_f64(), "{r}");
    }
    let (_, high) = app
        .admin_post(
            "/api/v1/admin/rules/estimate",
            &json!({"apply": false, "min_comparisons": 1000}),
        )
        .await;
    assert!(
        high["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["m"].is_null())
    );
    let (status, applied) = app
        .admin_post(
            "/api/v1/admin/rules/estimate",
            &json!({"apply": true, "min_comparisons": 1}),
        )
        .await;
    assert_eq!((status, applied["applied"].as_bool()), (200, Some(true)));
    // Stored where m is above u (evidence for a match), kept otherwise.
    let (_, rules) = admin_get(&app, "/api/v1/admin/rules").await;
    for e in applied["rules"].as_array().unwrap() {
        let stored = rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == e["code"])
            .unwrap();
        let (m, u) = (e["m"].as_f64().unwrap(), e["u"].as_f64().unwrap());
        if m > u {
            assert_eq!((&stored["m"], &stored["u"]), (&e["m"], &e["u"]), "{e}");
        } else {
            assert_eq!(stored["m"], 0.95, "{e}");
        }
    }

    for bad in [
        json!({"apply": "yes"}),
        json!({"apply": false, "min_comparisons": -1}),
        json!({"min_comparisons": 1}),
        json!([]),
        json!({"apply": true, "x": 1}),
    ] {
        let (status, v) = app.admin_post("/api/v1/admin/rules/estimate", &bad).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad}"
        );
    }
    let r = app
        .post(
            "/api/v1/admin/rules/estimate",
            Some(&app.issuer.link_token("UFH")),
            &json!({"apply": false}),
        )
        .await;
    assert_eq!(r.status(), 403);
}

async fn rules_take_priority_and_weights_and_refuse_bad_values(db: TestDatabase) {
    let app = spawn_app(db).await;
    let admin = app.issuer.admin_token();
    let (status, rules) = admin_get(&app, "/api/v1/admin/rules").await;
    assert_eq!(status, 200);
    let builtins: Vec<(String, i64)> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["priority"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        builtins.contains(&("F_L_D_S".into(), 10)) && builtins.contains(&("L_F_D_C".into(), 60))
    );
    let (status, v) = app
        .admin_post("/api/v1/admin/rules", &json!({"code": "X_Y"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        v,
        json!({"code": "X_Y", "description": "", "priority": 1000, "m": null, "u": null})
    );
    let (status, v) = patch(&app, Some(&admin), "X_Y", &json!({"priority": 5})).await;
    assert_eq!(
        (status, v["priority"].as_i64(), v["m"].clone()),
        (200, Some(5), Value::Null)
    );

    let before = app.counts().await;
    for body in [
        json!({"m": 0.9}),
        json!({"m": 1.0, "u": 0.1}),
        json!({"m": 0.9, "u": 0.0}),
        json!({"priority": -1}),
        json!({"priority": "high"}),
        json!({}),
        json!({"m": 0.9, "u": 0.1, "code": "X_Y"}),
    ] {
        let (status, v) = patch(&app, Some(&admin), "X_Y", &body).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("invalid_request")),
            "{body}"
        );
    }
    for body in [
        json!({"code": "Z_Z", "m": 0.9}),
        json!({"code": "Z_Z", "m": 0.9, "u": 2.0}),
        json!({"code": "Z_Z", "priority": 2_000_000}),
    ] {
        let (status, _) = app.admin_post("/api/v1/admin/rules", &body).await;
        assert_eq!(status, 400, "{body}");
    }
    let (status, _) = patch(&app, Some(&admin), "NOPE", &json!({"priority": 1})).await;
    assert_eq!(status, 404);
    let (status, _) = patch(&app, Some(&admin), "lower", &json!({"priority": 1})).await;
    assert_eq!(status, 404);
    assert_eq!(
        patch(&app, None, "X_Y", &json!({"priority": 1})).await.0,
        401
    );
    let (status, v) = patch(
        &app,
        Some(&app.issuer.link_token("UFH")),
        "X_Y",
        &json!({"priority": 1}),
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    assert_eq!(app.counts().await, before);
}

per_backend!(
    ambiguous_is_counted_under_the_partner_that_caused_it,
    separate_keeps_the_hash_linking_for_others_across_and_within_requests,
    link_lists_possible_duplicates_paged_and_only_to_their_partner,
    refs_declared_distinct_stop_linking_whatever_the_policy,
    a_hash_under_too_many_refs_stops_linking_and_admins_see_why,
    evidence_decides_by_weights_and_estimates_them,
    rules_take_priority_and_weights_and_refuse_bad_values,
);
