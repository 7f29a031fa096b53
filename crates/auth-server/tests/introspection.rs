//! Introspection (RFC 7662) and revocation (RFC 7009): who may see a
//! token, revoked access tokens reported inactive, refresh tokens looked
//! up, unknown tokens answered 200, client authentication enforced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::{TestApp, spawn_app};

async fn token_for(app: &TestApp, id: &str, secret: &str) -> String {
    let res = app
        .post_token(Some((id, secret)), &[("grant_type", "client_credentials")])
        .await;
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn introspect(app: &TestApp, who: (&str, &str), token: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/oauth/introspect"))
        .basic_auth(who.0, Some(who.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn revoke(app: &TestApp, who: (&str, &str), token: &str) -> u16 {
    app.client
        .post(app.url("/oauth/revoke"))
        .basic_auth(who.0, Some(who.1))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn owner_and_introspect_scope_see_the_token_others_do_not() {
    let app = spawn_app().await;
    app.add_partner("UFH").await;
    let (id, secret) = app.add_client(Some("UFH"), "idmap:link").await;
    let (iid, isecret) = app.add_client(None, "introspect").await;
    let (oid, osecret) = app.add_client(None, "idmap:read").await;
    let token = token_for(&app, &id, &secret).await;

    let (status, own) = introspect(&app, (&id, &secret), &token).await;
    assert_eq!(status, 200);
    assert_eq!(own["active"], true);
    assert_eq!(own["client_id"], id.as_str());
    assert_eq!(own["scope"], "idmap:link");
    assert_eq!(own["partner"], "UFH");
    assert_eq!(own["token_type"], "Bearer");
    assert!(own["exp"].as_i64().unwrap() > own["iat"].as_i64().unwrap());

    let (_, by_introspector) = introspect(&app, (&iid, &isecret), &token).await;
    assert_eq!(by_introspector["active"], true);

    let (status, by_other) = introspect(&app, (&oid, &osecret), &token).await;
    assert_eq!(status, 200);
    assert_eq!(by_other, serde_json::json!({"active": false}));

    // A caller failing client authentication gets 401.
    let (status, body) = introspect(&app, (&iid, "wrong"), &token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    // Garbage is inactive, and a missing token is invalid_request.
    let (_, body) = introspect(&app, (&iid, &isecret), "garbage").await;
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
    let token = token_for(&app, &id, &secret).await;
    // Another client cannot revoke it (silently ignored, 200).
    assert_eq!(revoke(&app, (&oid, &osecret), &token).await, 200);
    assert_eq!(
        introspect(&app, (&id, &secret), &token).await.1["active"],
        true
    );
    // Its own client can.
    assert_eq!(revoke(&app, (&id, &secret), &token).await, 200);
    assert_eq!(
        introspect(&app, (&id, &secret), &token).await.1["active"],
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
    app.add_user("cy@example.org", "correct horse battery")
        .await;
    let (id, secret) = app.add_app_client(false, "profile", cb).await;
    let secret = secret.unwrap();
    let cookie = app.login("cy@example.org", "correct horse battery").await;
    let loc = app
        .authorize(
            &cookie,
            &[
                ("response_type", "code"),
                ("client_id", &id),
                ("redirect_uri", cb),
            ],
            "allow",
        )
        .await;
    let code = support::flow::redirect_params(&loc)["code"].clone();
    let res = app
        .post_token(
            Some((&id, &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", cb),
            ],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    let access = body["access_token"].as_str().unwrap();

    let (_, info) = introspect(&app, (&id, &secret), refresh).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");
    assert_eq!(info["scope"], "profile");

    assert_eq!(revoke(&app, (&id, &secret), refresh).await, 200);
    assert_eq!(
        introspect(&app, (&id, &secret), refresh).await.1["active"],
        false
    );
    // Revoking the refresh token also ended the access token of its grant.
    assert_eq!(
        introspect(&app, (&id, &secret), access).await.1["active"],
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
