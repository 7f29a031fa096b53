//! `GET /openapi.json`: parses, describes exactly the OAuth, discovery,
//! operations, admin and user-center JSON routes (each listed pattern is
//! proven registered by the route label it gets in `/metrics`), documents
//! form bodies as form-urlencoded, names both security schemes, and equals
//! what `auth-server openapi` prints without settings or a database.

use crate::support::spawn_app;
use idmap_web::testing::{assert_describes_exactly, assert_routes_registered, success_json};
use serde_json::{Value, json};

/// Every documented route: (method, documented path, registered pattern,
/// a concrete path). The browser pages of the user center are not API and
/// are not listed; HEAD twins of GET routes are not listed either.
const ROUTES: [(&str, &str, &str, &str); 39] = [
    ("post", "/oauth/token", "/oauth/token", "/oauth/token"),
    (
        "post",
        "/oauth/introspect",
        "/oauth/introspect",
        "/oauth/introspect",
    ),
    ("post", "/oauth/revoke", "/oauth/revoke", "/oauth/revoke"),
    (
        "get",
        "/oauth/authorize",
        "/oauth/authorize",
        "/oauth/authorize",
    ),
    (
        "post",
        "/oauth/authorize",
        "/oauth/authorize",
        "/oauth/authorize",
    ),
    (
        "get",
        "/oauth/jwks.json",
        "/oauth/jwks.json",
        "/oauth/jwks.json",
    ),
    (
        "get",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server",
    ),
    (
        "get",
        "/oauth/userinfo",
        "/oauth/userinfo",
        "/oauth/userinfo",
    ),
    (
        "post",
        "/oauth/userinfo",
        "/oauth/userinfo",
        "/oauth/userinfo",
    ),
    ("get", "/health/live", "/health/live", "/health/live"),
    ("get", "/health/ready", "/health/ready", "/health/ready"),
    ("get", "/metrics", "/metrics", "/metrics"),
    ("get", "/openapi.json", "/openapi.json", "/openapi.json"),
    (
        "get",
        "/admin/api/v1/partners",
        "/admin/api/v1/partners",
        "/admin/api/v1/partners",
    ),
    (
        "post",
        "/admin/api/v1/partners",
        "/admin/api/v1/partners",
        "/admin/api/v1/partners",
    ),
    (
        "get",
        "/admin/api/v1/clients",
        "/admin/api/v1/clients",
        "/admin/api/v1/clients",
    ),
    (
        "post",
        "/admin/api/v1/clients",
        "/admin/api/v1/clients",
        "/admin/api/v1/clients",
    ),
    (
        "get",
        "/admin/api/v1/clients/{id}",
        "/admin/api/v1/clients/{id}",
        "/admin/api/v1/clients/c1",
    ),
    (
        "post",
        "/admin/api/v1/clients/{id}/disable",
        "/admin/api/v1/clients/{id}/disable",
        "/admin/api/v1/clients/c1/disable",
    ),
    (
        "post",
        "/admin/api/v1/clients/{id}/secrets",
        "/admin/api/v1/clients/{id}/secrets",
        "/admin/api/v1/clients/c1/secrets",
    ),
    (
        "delete",
        "/admin/api/v1/clients/{id}/secrets/{secret_id}",
        "/admin/api/v1/clients/{id}/secrets/{secret_id}",
        "/admin/api/v1/clients/c1/secrets/s1",
    ),
    (
        "get",
        "/admin/api/v1/users",
        "/admin/api/v1/users",
        "/admin/api/v1/users",
    ),
    (
        "post",
        "/admin/api/v1/users",
        "/admin/api/v1/users",
        "/admin/api/v1/users",
    ),
    (
        "post",
        "/admin/api/v1/users/{id}/disable",
        "/admin/api/v1/users/{id}/disable",
        "/admin/api/v1/users/u1/disable",
    ),
    (
        "post",
        "/admin/api/v1/groups/members",
        "/admin/api/v1/groups/members",
        "/admin/api/v1/groups/members",
    ),
    (
        "get",
        "/admin/api/v1/entitlements",
        "/admin/api/v1/entitlements",
        "/admin/api/v1/entitlements",
    ),
    (
        "post",
        "/admin/api/v1/entitlements",
        "/admin/api/v1/entitlements",
        "/admin/api/v1/entitlements",
    ),
    (
        "delete",
        "/admin/api/v1/entitlements/{id}",
        "/admin/api/v1/entitlements/{id}",
        "/admin/api/v1/entitlements/e1",
    ),
    (
        "get",
        "/admin/api/v1/keys",
        "/admin/api/v1/keys",
        "/admin/api/v1/keys",
    ),
    (
        "post",
        "/admin/api/v1/keys/rotate",
        "/admin/api/v1/keys/rotate",
        "/admin/api/v1/keys/rotate",
    ),
    (
        "get",
        "/accounts/api/v1/applications",
        "/accounts/api/v1/applications",
        "/accounts/api/v1/applications",
    ),
    (
        "post",
        "/accounts/api/v1/applications",
        "/accounts/api/v1/applications",
        "/accounts/api/v1/applications",
    ),
    (
        "get",
        "/accounts/api/v1/applications/{id}",
        "/accounts/api/v1/applications/{id}",
        "/accounts/api/v1/applications/a1",
    ),
    (
        "put",
        "/accounts/api/v1/applications/{id}",
        "/accounts/api/v1/applications/{id}",
        "/accounts/api/v1/applications/a1",
    ),
    (
        "delete",
        "/accounts/api/v1/applications/{id}",
        "/accounts/api/v1/applications/{id}",
        "/accounts/api/v1/applications/a1",
    ),
    (
        "get",
        "/accounts/api/v1/authorized_tokens",
        "/accounts/api/v1/authorized_tokens",
        "/accounts/api/v1/authorized_tokens",
    ),
    (
        "delete",
        "/accounts/api/v1/authorized_tokens/{id}",
        "/accounts/api/v1/authorized_tokens/{id}",
        "/accounts/api/v1/authorized_tokens/t1",
    ),
    (
        "get",
        "/accounts/resource/user/{id}",
        "/accounts/resource/user/{tail:.+}",
        "/accounts/resource/user/u1.json",
    ),
    (
        "get",
        "/accounts/resource/group/{id}",
        "/accounts/resource/group/{tail:.+}",
        "/accounts/resource/group/g1/",
    ),
];

#[tokio::test]
async fn the_document_describes_every_api_route_and_the_forms() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/oauth/token"]["post"].is_object());

    assert_describes_exactly(&doc, ROUTES.iter().map(|(m, p, _, _)| (*m, *p)));

    // Each listed pattern is registered: a request to it is labelled with it.
    for (method, _, _, path) in ROUTES {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        app.client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
    }
    assert_routes_registered(
        &app.metrics().await,
        ROUTES.iter().map(|(m, _, pattern, _)| (*m, *pattern)),
    );

    // The OAuth endpoints read forms, and say so.
    for (method, path) in [
        ("post", "/oauth/token"),
        ("post", "/oauth/introspect"),
        ("post", "/oauth/revoke"),
        ("post", "/oauth/authorize"),
    ] {
        let content = doc["paths"][path][method]["requestBody"]["content"]
            .as_object()
            .unwrap();
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["application/x-www-form-urlencoded"],
            "{path}"
        );
    }
    let token = &doc["paths"]["/oauth/token"]["post"];
    assert_eq!(
        token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"],
        "#/components/schemas/TokenRequest"
    );
    assert_eq!(
        token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/TokenResponse"
    );
    assert_eq!(
        token["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/OAuthErrorBody"
    );

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        (
            schemes["client"]["scheme"].as_str(),
            schemes["bearer"]["scheme"].as_str()
        ),
        (Some("basic"), Some("bearer"))
    );
    assert_eq!(
        doc["paths"]["/admin/api/v1/clients"]["post"]["security"],
        json!([{"bearer": ["admin"]}])
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["TokenRequest"]["required"], json!(["grant_type"]));
    assert_eq!(
        schemas["ErrorBody"]["required"],
        json!(["error", "error_description"])
    );
    assert!(schemas["Jwk"]["properties"]["use"].is_object());
}

/// `auth-server openapi` prints the document the server serves, without
/// settings or a database, so scripts can regenerate `docs/openapi/`
/// offline.
#[tokio::test]
async fn the_openapi_subcommand_prints_the_served_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_auth-server"))
        .arg("openapi")
        .env("AUTH_DATABASE_URL", "postgres://nowhere.invalid/none")
        .env("AUTH_ISSUER", "not a url")
        .output()
        .unwrap();
    let printed = success_json(&out);
    let app = spawn_app().await;
    let served = app.get_json("/openapi.json").await;
    assert_eq!(printed, served);
    assert!(printed["paths"]["/oauth/token"].is_object());
}
