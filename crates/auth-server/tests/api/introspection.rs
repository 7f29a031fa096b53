//! Introspection (RFC 7662) and revocation (RFC 7009): who may see a
//! token, revoked access tokens reported inactive, refresh tokens looked
//! up, unknown tokens answered 200, client authentication enforced.

use crate::support::{TestApp, spawn_app, status_of};

async fn revoke(app: &TestApp, who: (&str, &str), token: &str) -> u16 {
    status_of(app.client_post(
        "/oauth/revoke",
        who,
        &[("token", token), ("token_type_hint", "access_token")],
    ))
    .await
}

#[tokio::test]
async fn owner_and_introspect_scope_see_the_token_others_do_not() {
    let app = spawn_app().await;
    app.add_partner("UFH").await;
    let (id, secret) = app.add_client(Some("UFH"), "idmap:link").await;
    let (iid, isecret) = app.add_client(None, "introspect").await;
    let (oid, osecret) = app.add_client(None, "idmap:read").await;
    let token = app.client_token(&id, &secret).await;

    let (status, own) = app.introspect((&id, &secret), &token).await;
    assert_eq!(status, 200);
    assert_eq!(own["active"], true);
    assert_eq!(own["client_id"], id.as_str());
    assert_eq!(own["scope"], "idmap:link");
    assert_eq!(own["partner"], "UFH");
    assert_eq!(own["token_type"], "Bearer");
    assert!(own["exp"].as_i64().unwrap() > own["iat"].as_i64().unwrap());

    let (_, by_introspector) = app.introspect((&iid, &isecret), &token).await;
    assert_eq!(by_introspector["active"], true);

    let (status, by_other) = app.introspect((&oid, &osecret), &token).await;
    assert_eq!(status, 200);
    assert_eq!(by_other, serde_json::json!({"active": false}));

    // A caller failing client authentication gets 401.
    let (status, body) = app.introspect((&iid, "wrong"), &token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    // Garbage is inactive, and a missing token is invalid_request.
    let (_, body) = app.introspect((&iid, &isecret), "garbage").await;
    assert_eq!(body, serde_json::json!({"active": false}));
    let res = app
        .client
        .post(app.url("/oauth/introspect"))
        .basic_auth(&iid, Some(&isecret))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_revoked_access_token_is_inactive_and_unknown_tokens_answer_200() {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "idmap:read").await;
    let (oid, osecret) = app.add_client(None, "idmap:read").await;
    let token = app.client_token(&id, &secret).await;
    // Another client cannot revoke it (silently ignored, 200).
    assert_eq!(revoke(&app, (&oid, &osecret), &token).await, 200);
    assert_eq!(
        app.introspect((&id, &secret), &token).await.1["active"],
        true
    );
    // Its own client can.
    assert_eq!(revoke(&app, (&id, &secret), &token).await, 200);
    assert_eq!(
        app.introspect((&id, &secret), &token).await.1["active"],
        false
    );
    // Revoking twice and unknown tokens are fine.
    assert_eq!(revoke(&app, (&id, &secret), &token).await, 200);
    assert_eq!(revoke(&app, (&id, &secret), "no-such-token").await, 200);
    // Revocation needs client authentication.
    assert_eq!(revoke(&app, (&id, "wrong"), &token).await, 401);
    // The jti is stored with its expiry, so it can be purged later.
    let (count, max_exp): (i64, Option<i64>) = app
        .db
        .run(|c| {
            use auth_server::db::schema::revoked_tokens as t;
            use diesel::dsl::{count_star, max};
            use diesel::prelude::*;
            Ok(t::table
                .select((count_star(), max(t::expires_at)))
                .first(c)?)
        })
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert!(max_exp.unwrap() > idmap_common::clock::now_unix());
}

#[tokio::test]
async fn refresh_tokens_introspect_and_revoke_their_family() {
    let app = spawn_app().await;
    let cb = "https://app.example/cb";
    let cookie = app.signed_in("cy@example.org").await;
    let (id, secret) = app.add_app_client(false, "profile", cb).await;
    let secret = secret.unwrap();
    let code = app.code_without_pkce(&cookie, &id, cb).await;
    let (_, body) = app.exchange_confidential((&id, &secret), cb, &code).await;
    let refresh = body["refresh_token"].as_str().unwrap();
    let access = body["access_token"].as_str().unwrap();

    let (_, info) = app.introspect((&id, &secret), refresh).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");
    assert_eq!(info["scope"], "profile");

    assert_eq!(revoke(&app, (&id, &secret), refresh).await, 200);
    assert_eq!(
        app.introspect((&id, &secret), refresh).await.1["active"],
        false
    );
    // Revoking the refresh token also ended the access token of its grant.
    assert_eq!(
        app.introspect((&id, &secret), access).await.1["active"],
        false
    );
    let res = app
        .post_token(
            Some((&id, &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(res.status(), 400);
}
