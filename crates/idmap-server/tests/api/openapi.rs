//! `GET /openapi.json`: parses, describes exactly the routes the app
//! registers (each listed pattern is proven registered by the route label it
//! gets in `/metrics`), names the bearer scheme and the error envelope, and
//! its `LinkRequest` schema says what the contract says.

use std::collections::BTreeSet;

use idmap_storage::testing::TestDatabase;
use idmap_web::testing::{assert_describes_exactly, assert_routes_registered, success_json};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// Every route of idmap-server: (method, pattern).
const ROUTES: [(&str, &str); 21] = [
    ("post", "/api/v1/link"),
    ("post", "/api/v1/lookup"),
    ("post", "/api/save"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/api/v1/admin/conflicts"),
    ("post", "/api/v1/admin/conflicts/{id}/resolve"),
    ("post", "/api/v1/admin/merges"),
    ("get", "/api/v1/admin/uuids/{uuid}"),
    ("get", "/api/v1/duplicates"),
    ("post", "/api/v1/distinct"),
    ("get", "/api/v1/admin/rules"),
    ("post", "/api/v1/admin/rules"),
    ("patch", "/api/v1/admin/rules/{code}"),
    ("post", "/api/v1/admin/rules/estimate"),
    ("get", "/api/v1/admin/ambiguous"),
    ("get", "/api/v1/admin/config"),
    ("get", "/api/v1/admin/stats"),
    ("get", "/api/v1/admin/audit"),
];

/// A concrete path that `pattern` matches.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{id}", "1")
        .replace("{uuid}", "00000000-0000-4000-8000-000000000001")
        .replace("{code}", "F_L_D_S")
}

async fn the_document_describes_every_route_and_the_contract(db: TestDatabase) {
    let app = spawn_app(db).await;
    let r = app.request(reqwest::Method::GET, "/openapi.json").await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));

    assert_describes_exactly(&doc, ROUTES);

    // Each listed pattern is registered: a request to it is labelled with it.
    for (method, pattern) in ROUTES {
        let url = format!("{}{}", app.url, concrete(pattern));
        let req = match method {
            "get" => app.http.get(url),
            "patch" => app.http.patch(url),
            _ => app.http.post(url),
        };
        req.send().await.unwrap();
    }
    assert_routes_registered(&app.metrics().await, ROUTES);

    let schemes = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (schemes["type"].as_str(), schemes["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    let link = &doc["paths"]["/api/v1/link"]["post"];
    assert_eq!(link["security"], json!([{"bearer": ["idmap:link"]}]));
    assert_eq!(
        link["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ErrorBody"]["required"],
        json!(["error", "error_description"])
    );

    // LinkRequest as partners send it: patients required, an
    // optional salt fingerprint, unknown fields rejected; each patient an
    // optional ref and required hashes of {rule, hash}.
    let req = &schemas["LinkRequest"];
    assert_eq!(req["required"], json!(["patients"]));
    assert_eq!(req["additionalProperties"], json!(false));
    let props: BTreeSet<&str> = req["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(props, BTreeSet::from(["patients", "salt_fingerprint"]));
    assert_eq!(
        req["properties"]["patients"]["items"]["$ref"],
        "#/components/schemas/LinkPatient"
    );
    let patient = &schemas["LinkPatient"];
    assert_eq!(patient["required"], json!(["hashes"]));
    assert_eq!(patient["additionalProperties"], json!(false));
    assert!(patient["properties"]["ref"].is_object());
    let rule_hash = &schemas["RuleHash"];
    assert_eq!(rule_hash["required"], json!(["rule", "hash"]));
    assert_eq!(
        rule_hash["properties"]["hash"]["pattern"],
        "^[0-9a-fA-F]{64}$"
    );
}

per_backend!(the_document_describes_every_route_and_the_contract);

/// `idmap-server openapi` prints the same document without settings or a
/// database, so scripts can regenerate `docs/openapi/` offline.
#[test]
fn the_openapi_subcommand_prints_the_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_idmap-server"))
        .arg("openapi")
        .env("IDMAP_DATABASE_URL", "postgres://nowhere.invalid/none")
        .output()
        .unwrap();
    let doc = success_json(&out);
    let served: Value = serde_json::from_str(&idmap_server::openapi::document()).unwrap();
    assert_eq!(doc, served);
}
