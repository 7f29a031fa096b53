//! Failed token requests answer RFC 6749 section 5.2 errors with the right
//! status, and malformed HTTP gets the JSON envelope, never a 500.

use crate::support::{TestApp, spawn_app};
use auth_server::db::clients::{ClientRow, SecretRow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// Asserts an OAuth error response and returns its body.
async fn expect_error(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status);
    let challenge = res.headers().get("www-authenticate").cloned();
    if status == 401 {
        assert_eq!(challenge.unwrap(), "Basic realm=\"idmap\"");
    } else {
        assert!(challenge.is_none());
    }
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string());
    body
}

async fn app_with_client() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "idmap:read").await;
    (app, id, secret)
}

#[tokio::test]
async fn wrong_secret_is_401_invalid_client_with_challenge() {
    let (app, id, secret) = app_with_client().await;
    let res = app.client_grant(&id, "wrong").await;
    let body = expect_error(res, 401, "invalid_client").await;
    assert!(!body.to_string().contains(&secret));

    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    expect_error(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn unknown_client_and_missing_authentication_are_invalid_client() {
    let (app, _, secret) = app_with_client().await;
    let res = app.client_grant("nobody", &secret).await;
    let unknown = expect_error(res, 401, "invalid_client").await;

    let res = app
        .post_token(None, &[("grant_type", "client_credentials")])
        .await;
    expect_error(res, 401, "invalid_client").await;

    // Unknown client and wrong secret read the same.
    let (app2, id2, _) = app_with_client().await;
    let res = app2.client_grant(&id2, "wrong").await;
    assert_eq!(expect_error(res, 401, "invalid_client").await, unknown);
}

#[tokio::test]
async fn two_authentication_methods_at_once_is_invalid_request() {
    let (app, id, secret) = app_with_client().await;
    let res = app
        .post_token(
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    expect_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn missing_and_unsupported_grant_types() {
    let (app, id, secret) = app_with_client().await;
    let res = app
        .post_token(Some((&id, &secret)), &[("scope", "idmap:read")])
        .await;
    expect_error(res, 400, "invalid_request").await;

    // The password grant is off by default; implicit is no token-endpoint grant.
    for grant in ["password", "implicit", "urn:x"] {
        let res = app
            .post_token(Some((&id, &secret)), &[("grant_type", grant)])
            .await;
        expect_error(res, 400, "unsupported_grant_type").await;
    }
    // A client without redirect URIs may not use the authorization-code grant.
    let res = app
        .post_token(
            Some((&id, &secret)),
            &[("grant_type", "authorization_code"), ("code", "x")],
        )
        .await;
    expect_error(res, 400, "unauthorized_client").await;
    let res = app
        .post_token(Some((&id, &secret)), &[("grant_type", "refresh_token")])
        .await;
    expect_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn unregistered_unknown_and_malformed_scopes_are_invalid_scope() {
    let (app, id, secret) = app_with_client().await;
    for scope in [
        "admin",
        "idmap:read idmap:link",
        "idmap:write",
        "bad\"scope",
    ] {
        let res = app
            .post_token(
                Some((&id, &secret)),
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await;
        expect_error(res, 400, "invalid_scope").await;
    }
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let (app, id, secret) = app_with_client().await;
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=idmap:read&scope=idmap:read")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn json_or_missing_content_type_is_invalid_request() {
    let (app, id, secret) = app_with_client().await;
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_request").await;

    let res = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn public_clients_cannot_use_client_credentials() {
    let app = spawn_app().await;
    let created = auth_server::services::clients::add_client(
        &app.db,
        &app.hasher,
        auth_server::services::clients::NewClient {
            partner: None,
            scope: "profile".into(),
            public: true,
            redirect_uris: vec!["https://app.example/cb".into()],
            ..auth_server::services::clients::NewClient::default()
        },
    )
    .await
    .unwrap();
    assert!(created.client_secret.is_none());
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &created.client_id),
            ],
        )
        .await;
    expect_error(res, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn basic_credentials_are_form_urldecoded() {
    let app = spawn_app().await;
    // Ids and secrets this server generates are URL-safe; a client with
    // reserved characters shows that Basic values are decoded (RFC 6749 2.3.1).
    let id = "svc:a+b%c/d";
    let secret = "p@ss:w+rd %/é&=";
    let row = ClientRow {
        client_id: id.into(),
        name: None,
        partner_code: None,
        scopes: "idmap:read".into(),
        is_public: false,
        redirect_uris: String::new(),
        disabled: false,
        created_at: 0,
        owner_user_id: None,
        homepage: None,
    };
    let secret_row = SecretRow {
        secret_id: vec![7; 16],
        client_id: id.into(),
        secret_hash: app.hasher.hash(secret).0.to_vec(),
        created_at: 0,
        expires_at: None,
    };
    app.db
        .transaction(move |c| {
            Ok(auth_server::db::clients::insert(
                c,
                &row,
                std::slice::from_ref(&secret_row),
            )?)
        })
        .await
        .unwrap();

    let encode = |s: &str| serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned();
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    );
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .header("authorization", header)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["client_id"], id);

    // The same secret sent with client_secret_post is decoded by the form layer.
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn http_level_errors_use_the_json_envelope() {
    let (app, id, secret) = app_with_client().await;

    let res = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "not_found");

    let res = app
        .client
        .get(app.url("/oauth/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );

    let res = app
        .client
        .post(app.url("/oauth/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );

    let big = format!(
        "grant_type=client_credentials&pad={}",
        "a".repeat(64 * 1024)
    );
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );

    let res = app
        .client
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=%ZZ&&=")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());

    let res = app
        .client
        .post(app.url("/oauth/token"))
        .header("authorization", "Basic %%%")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "invalid_client").await;
}
