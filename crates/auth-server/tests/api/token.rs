//! Successful token requests: both client authentication methods, every
//! claim of the JWT checked against the served JWKS, response headers.

use crate::support::{ISSUER, expected_alg, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn basic_auth_issues_a_partner_token_with_every_claim() {
    let app = spawn_app().await;
    app.add_partner("UFH").await;
    let (id, secret) = app.add_client(Some("UFH"), "idmap:link").await;

    let res = app.client_grant(&id, &secret).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "idmap:link");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");

    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = app.verify(token).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwks = app.jwks().await;
    assert_eq!(header.kid, jwks.keys[0].common.key_id);

    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["aud"], "idmap", "one audience is a plain string");
    assert_eq!(claims["scope"], "idmap:link");
    assert_eq!(claims["partner"], "UFH");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat);
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 3600);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((iat - now).abs() <= 5);
    assert!(!claims["jti"].as_str().unwrap().is_empty());

    // The claims parse as the shared type the resource server uses.
    let shared: idmap_common::AccessClaims = serde_json::from_value(claims).unwrap();
    assert!(shared.has_scope("idmap:link"));
}

#[tokio::test]
async fn post_auth_issues_an_internal_token_with_several_audiences() {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "idmap:read admin").await;

    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "idmap:read admin");
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], json!(["idmap", ISSUER]));
    assert!(
        claims.get("partner").is_none(),
        "internal clients have no partner claim"
    );
    assert_eq!(claims["sub"], id.as_str());
}

#[tokio::test]
async fn scope_defaults_to_registered_and_a_subset_can_be_requested() {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "introspect idmap:read").await;

    let res = app.client_grant(&id, &secret).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "idmap:read introspect");

    let res = app
        .post_token(
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "introspect"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "introspect");
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(claims["scope"], "introspect");
}

#[tokio::test]
async fn every_token_has_a_fresh_jti() {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "idmap:read").await;
    let mut jtis = std::collections::HashSet::new();
    for _ in 0..5 {
        let body: Value = app.client_grant(&id, &secret).await.json().await.unwrap();
        let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
        assert!(jtis.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test]
async fn es256_and_eddsa_are_a_configuration_switch() {
    for alg in ["ES256", "EdDSA"] {
        let app =
            spawn_app_with(&[("AUTH_SIGNING_ALG", alg), ("AUTH_ACCESS_TOKEN_TTL", "120")]).await;
        let (id, secret) = app.add_client(None, "idmap:read").await;
        let body: Value = app.client_grant(&id, &secret).await.json().await.unwrap();
        assert_eq!(body["expires_in"], 120);
        let (header, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
        assert_eq!(header.alg, expected_alg(alg));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            120
        );
        let jwks = app.get_json("/oauth/jwks.json").await;
        assert_eq!(jwks["keys"][0]["alg"], alg);
    }
}
