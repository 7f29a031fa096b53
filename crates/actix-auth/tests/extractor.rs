//! The extractors against a real auth-server (in-process): a verifier
//! loading its JWKS, tokens with and without the scope, bad and missing
//! tokens, and the RFC 6750 answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use actix_web::{App, HttpResponse, test, web};
use idmap_actix_auth::{BearerAuth, BearerClaims, RequireScope, ScopeName};
use idmap_common::verifier::{Verifier, VerifierConfig};
use idmap_e2e::{AuthServer, access_token};
use serde_json::Value;

const ISSUER: &str = "http://auth.test";

struct ReadScope;
impl ScopeName for ReadScope {
    const SCOPE: &'static str = "idmap:read";
}

async fn whoami(c: BearerClaims) -> HttpResponse {
    HttpResponse::Ok().body(c.client_id.clone())
}

async fn read(c: RequireScope<ReadScope>) -> HttpResponse {
    HttpResponse::Ok().body(c.scope.clone())
}

struct Auth {
    base: String,
    server: AuthServer,
    _dir: tempfile::TempDir,
}

async fn start_auth() -> Auth {
    let dir = tempfile::tempdir().unwrap();
    let server = AuthServer::start(dir.path(), "127.0.0.1:0", ISSUER, vec![])
        .await
        .unwrap();
    Auth {
        base: format!("http://127.0.0.1:{}", server.port),
        server,
        _dir: dir,
    }
}

async fn token(auth: &Auth, scope: &str) -> String {
    let (id, secret) = auth.server.add_client(None, scope).await.unwrap();
    access_token(&reqwest::Client::new(), &auth.base, &id, &secret)
        .await
        .unwrap()
}

#[actix_web::test]
async fn scopes_are_enforced_and_errors_follow_rfc_6750() {
    let auth = start_auth().await;
    let mut config = VerifierConfig::new(ISSUER, "idmap");
    config.jwks_url = Some(format!("{}/oauth/jwks.json", auth.base));
    config.http_timeout = Duration::from_secs(2);
    let verifier = Verifier::new(config).unwrap();

    let app = test::init_service(
        App::new()
            .app_data(BearerAuth::from(verifier.clone()))
            .route("/whoami", web::get().to(whoami))
            .route("/read", web::get().to(read)),
    )
    .await;

    // No refresh task: the first token's unknown kid triggers the one on-demand fetch.
    let reader = token(&auth, "idmap:read").await;
    let linker = token(&auth, "idmap:link").await;

    let req = test::TestRequest::get()
        .uri("/read")
        .insert_header(("authorization", format!("Bearer {reader}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 200);
    assert_eq!(test::read_body(res).await, "idmap:read");

    let req = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("authorization", format!("Bearer {linker}")))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), 200);

    let req = test::TestRequest::get()
        .uri("/read")
        .insert_header(("authorization", format!("Bearer {linker}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"idmap\", error=\"insufficient_scope\", scope=\"idmap:read\""
    );
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "insufficient_scope");

    let req = test::TestRequest::get().uri("/read").to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"idmap\""
    );

    let req = test::TestRequest::get()
        .uri("/read")
        .insert_header(("authorization", "Bearer not.a.jwt"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"idmap\", error=\"invalid_token\""
    );
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "invalid_token");
}

#[actix_web::test]
async fn without_keys_the_answer_is_503() {
    let mut config = VerifierConfig::new("http://127.0.0.1:9", "idmap");
    config.http_timeout = Duration::from_millis(300);
    let verifier = Verifier::new(config).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(BearerAuth::from(verifier))
            .route("/read", web::get().to(read)),
    )
    .await;
    // A structurally valid token with a kid: the verifier must fetch keys, and cannot.
    let token = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsifQ.e30.c2ln";
    let req = test::TestRequest::get()
        .uri("/read")
        .insert_header(("authorization", format!("Bearer {token}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
}
