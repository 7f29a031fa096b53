//! Scopes that reach patient data need an entitlement of the user, checked
//! at authorization (and so on the consent page), at the code exchange, at
//! every refresh and in the password grant; group membership needs its own
//! scope.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::flow::{code_request, location, redirect_params};
use crate::support::{ISSUER, PASSWORD, lookup, spawn_app, spawn_app_with};

const CB: &str = "https://app.example/cb";

/// The path of the review: anyone registers, confirms the address, and
/// signs in to an operator's public client that holds `idmap:read` and
/// `idmap:admin`. Without an entitlement the consent page offers neither,
/// the token carries neither, and the ID-mapping API refuses it.
#[tokio::test]
async fn a_self_registered_user_gets_no_patient_data_scope() {
    let app = spawn_app().await;
    let cookie = app.register_verified("eve@example.org").await;
    let (id, _) = app
        .add_app_client(true, "idmap:read idmap:admin profile", CB)
        .await;
    let res = app
        .authorize_get(&cookie, &code_request(&id, CB, None))
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("idmap:read") && !html.contains("idmap:admin"),
        "the consent page offers a patient-data scope: {html}"
    );
    let tokens = app.code_tokens(&cookie, &id, CB, None).await;
    assert_eq!(tokens["scope"], "profile");
    let (_, claims) = app.verify(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], ISSUER, "no idmap audience");

    // Asked for by name, the scope is refused as RFC 6749 4.1.2.1 says.
    for scope in ["idmap:read", "idmap:admin"] {
        let res = app
            .authorize_get(&cookie, &code_request(&id, CB, Some(scope)))
            .await;
        assert_eq!(res.status(), 302, "{scope}");
        let p = redirect_params(&location(&res));
        assert_eq!(
            (p["error"].as_str(), p["state"].as_str()),
            ("access_denied", "st"),
            "{scope}"
        );
    }

    // The ID-mapping API (the real one, trusting this server) refuses it:
    // the token is not even addressed to it.
    let (idmap, _db) = app.spawn_idmap().await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(lookup(&app.client, &idmap, access).await, 401);
}

/// An operator entitles the user: the scope goes through until the
/// entitlement is withdrawn, which the code exchange and the next refresh
/// honour; an entitlement of a partner's group reaches its members.
#[tokio::test]
async fn an_entitlement_lets_the_scope_through_until_it_is_withdrawn() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app
        .add_app_client(true, "idmap:read idmap:admin profile", CB)
        .await;

    let grant = json!({"user": "ann@example.org", "scope": "idmap:read"});
    let (status, ent) = app
        .admin_call(
            Some(&token),
            Method::POST,
            "/entitlements",
            Some(grant.clone()),
        )
        .await;
    assert_eq!(status, 201, "{ent}");
    assert_eq!(ent["user_email"], "ann@example.org");
    let (status, again) = app
        .admin_call(Some(&token), Method::POST, "/entitlements", Some(grant))
        .await;
    assert_eq!(
        (status, &again["id"]),
        (200, &ent["id"]),
        "granting twice is one entitlement"
    );

    let res = app
        .authorize_get(&cookie, &code_request(&id, CB, None))
        .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("idmap:read") && !html.contains("idmap:admin"),
        "{html}"
    );
    let tokens = app.code_tokens(&cookie, &id, CB, None).await;
    assert_eq!(tokens["scope"], "idmap:read profile");
    let (idmap, _db) = app.spawn_idmap().await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(lookup(&app.client, &idmap, access).await, 200);

    // A code approved while entitled, exchanged after the withdrawal.
    let code = app.code(&cookie, &id, CB, None).await;
    let path = format!("/entitlements/{}", ent["id"].as_str().unwrap());
    let (status, _) = app
        .admin_call(Some(&token), Method::DELETE, &path, None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .admin_call(Some(&token), Method::DELETE, &path, None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = app.exchange_code(&id, CB, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "profile");

    // The refresh token of the first grant loses the scope for good.
    let r1 = tokens["refresh_token"].as_str().unwrap();
    let (status, body) = app.refresh(&id, r1, Some("idmap:read")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = app.refresh(&id, r1, None).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("profile")),
        "{body}"
    );
    let r2 = body["refresh_token"].as_str().unwrap();
    app.entitle("ann@example.org", "idmap:read").await;
    let (_, body) = app.refresh(&id, r2, None).await;
    assert_eq!(body["scope"], "profile", "a family never widens again");

    // Through the partner's group.
    app.add_partner("UFH").await;
    let (status, _) = app
        .admin_call(
            Some(&token),
            Method::POST,
            "/groups/members",
            Some(json!({"partner": "UFH", "user": "ann@example.org"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, by_group) = app
        .admin_call(
            Some(&token),
            Method::POST,
            "/entitlements",
            Some(json!({"partner": "UFH", "scope": "idmap:admin"})),
        )
        .await;
    assert_eq!((status, by_group["partner"].as_str()), (201, Some("UFH")));
    let tokens = app
        .code_tokens(&cookie, &id, CB, Some("idmap:admin profile"))
        .await;
    assert_eq!(tokens["scope"], "idmap:admin profile");
    let (_, list) = app
        .admin_call(Some(&token), Method::GET, "/entitlements", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");

    for (body, expected) in [
        (json!({"user": "ann@example.org", "scope": "profile"}), 400),
        (
            json!({"user": "ann@example.org", "scope": "idmap:link"}),
            400,
        ),
        (json!({"scope": "idmap:read"}), 400),
        (
            json!({"user": "ann@example.org", "partner": "UFH", "scope": "idmap:read"}),
            400,
        ),
        (
            json!({"user": "nobody@example.org", "scope": "idmap:read"}),
            404,
        ),
        (json!({"partner": "NOPE", "scope": "idmap:read"}), 404),
    ] {
        let (status, _) = app
            .admin_call(
                Some(&token),
                Method::POST,
                "/entitlements",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, expected, "{body}");
    }
}

/// The password grant (when enabled) drops what the user may not hold too,
/// and, like the consent page, needs a verified address.
#[tokio::test]
async fn the_password_grant_drops_unentitled_scopes() {
    let app = spawn_app_with(&[("AUTH_ENABLE_PASSWORD_GRANT", "true")]).await;
    app.add_user("ann@example.org", PASSWORD).await;
    let (id, secret) = app.add_app_client(false, "idmap:read profile", CB).await;
    let secret = secret.unwrap();
    let grant = |scope: Option<&'static str>, user: &'static str| {
        let (app, id, secret) = (&app, id.clone(), secret.clone());
        async move {
            let mut form = vec![
                ("grant_type", "password"),
                ("username", user),
                ("password", PASSWORD),
            ];
            if let Some(s) = scope {
                form.push(("scope", s));
            }
            let res = app.post_token(Some((&id, &secret)), &form).await;
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = grant(None, "ann@example.org").await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("profile")),
        "{body}"
    );
    let (status, body) = grant(Some("idmap:read"), "ann@example.org").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    app.entitle("ann@example.org", "idmap:read").await;
    let (_, body) = grant(None, "ann@example.org").await;
    assert_eq!(body["scope"], "idmap:read profile");

    auth_server::services::users::add_user(&app.db, "new@example.org", PASSWORD, false)
        .await
        .unwrap();
    let (status, body) = grant(None, "new@example.org").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

/// `profile` shares the user's address; the user's groups and every other
/// member's address need `groups`, which the consent page names.
#[tokio::test]
async fn group_membership_needs_its_own_scope() {
    let app = spawn_app().await;
    let uid = app.add_user("ann@example.org", PASSWORD).await;
    app.add_partner("UFH").await;
    let group = auth_server::services::groups::add_member(&app.db, "UFH", &uid, "member")
        .await
        .unwrap();
    let cookie = app.login("ann@example.org", PASSWORD).await;
    let get = |path: String, token: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let tokens = app.code_tokens(&cookie, &id, CB, None).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, me) = get(format!("/accounts/resource/user/{uid}"), access.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "ann@example.org");
    assert!(me.get("groups").is_none(), "{me}");
    let (status, body) = get(format!("/accounts/resource/group/{}", group.id), access).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );

    let (id, _) = app.add_app_client(true, "profile groups", CB).await;
    let res = app
        .authorize_get(&cookie, &code_request(&id, CB, None))
        .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("every member&#x27;s email address")
            || html.contains("every member's email address"),
        "{html}"
    );
    let tokens = app.code_tokens(&cookie, &id, CB, None).await;
    assert_eq!(tokens["scope"], "profile groups");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, me) = get(format!("/accounts/resource/user/{uid}"), access.clone()).await;
    assert_eq!(me["groups"][0]["partner"], "UFH");
    let (status, body) = get(format!("/accounts/resource/group/{}", group.id), access).await;
    assert_eq!(
        (status, body["members"][0]["email"].as_str()),
        (200, Some("ann@example.org"))
    );
}
