//! One table of what the bearer edge (`idmap-actix-auth`) answers, run
//! against every service that uses it: idmap-server, auth-server's admin
//! API and user-center API, and a service built like the example protected
//! service. A row is a way of presenting (or not) a token; every service
//! must give the same status and RFC 6750 error code for it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use idmap_actix_auth::{BearerAuth, RequireScope, ScopeName};
use idmap_common::clock::now_unix as now;
use idmap_common::verifier::{Verifier, VerifierConfig};
use idmap_e2e::System;
use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;
use serde_json::{Map, Value, json};

/// A protected route of one service and what its tokens must carry.
struct Target {
    name: &'static str,
    url: String,
    audience: String,
    scope: &'static str,
    sub: String,
}

static NEXT_JTI: AtomicU64 = AtomicU64::new(0);

/// What a row must get: the status and the `error` of the challenge
/// (`None`: a challenge without an error code, as for a missing token).
type Expected = (u16, Option<&'static str>);

fn claims(sys: &System, target: &Target, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let now = now();
    let mut claims = json!({
        "iss": sys.auth_url, "sub": target.sub, "aud": target.audience,
        "exp": now + 300, "iat": now, "nbf": now, "jti": format!("edge-{}", NEXT_JTI.fetch_add(1, Ordering::Relaxed)),
        "client_id": "edge-test", "scope": target.scope,
    });
    edit(claims.as_object_mut().unwrap());
    claims
}

/// Every row: its name, the `Authorization` headers sent, the answer.
fn rows(sys: &System, t: &Target) -> Vec<(&'static str, Vec<String>, Expected)> {
    let sign = |edit: &dyn Fn(&mut Map<String, Value>)| sys.sign(&claims(sys, t, edit)).unwrap();
    let good = sign(&|_| {});
    let other = sign(&|_| {});
    let bearer = |token: &str| vec![format!("Bearer {token}")];
    let (body, _) = good.rsplit_once('.').unwrap();
    let (_, foreign_signature) = other.rsplit_once('.').unwrap();
    let invalid = (401, Some("invalid_token"));
    vec![
        ("valid", bearer(&good), (200, None)),
        (
            "scheme in lower case",
            vec![format!("bearer {good}")],
            (200, None),
        ),
        ("no header", vec![], (401, None)),
        ("another scheme", vec!["Basic dTpw".into()], (401, None)),
        ("empty bearer token", vec!["Bearer ".into()], invalid),
        (
            "two Authorization headers",
            [bearer(&good), bearer(&good)].concat(),
            invalid,
        ),
        ("not a JWT", bearer("not.a.jwt"), invalid),
        (
            "another token's signature",
            bearer(&format!("{body}.{foreign_signature}")),
            invalid,
        ),
        (
            "expired",
            bearer(&sign(&|c| {
                c.insert("exp".into(), json!(now() - 3600));
                c.insert("nbf".into(), json!(now() - 7200));
                c.insert("iat".into(), json!(now() - 7200));
            })),
            invalid,
        ),
        (
            "not yet valid",
            bearer(&sign(&|c| {
                c.insert("nbf".into(), json!(now() + 3600));
            })),
            invalid,
        ),
        (
            "another issuer",
            bearer(&sign(&|c| {
                c.insert("iss".into(), json!(format!("{}/", sys.auth_url)));
            })),
            invalid,
        ),
        (
            "another audience",
            bearer(&sign(&|c| {
                c.insert("aud".into(), json!("elsewhere"));
            })),
            invalid,
        ),
        (
            "no jti",
            bearer(&sign(&|c| {
                c.remove("jti");
            })),
            invalid,
        ),
        (
            "client_id not a string",
            bearer(&sign(&|c| {
                c.insert("client_id".into(), json!(7));
            })),
            invalid,
        ),
        (
            "without the scope",
            bearer(&sign(&|c| {
                c.insert("scope".into(), json!("other"));
            })),
            (403, Some("insufficient_scope")),
        ),
    ]
}

fn challenge_error(challenge: &str) -> Option<&str> {
    let (_, rest) = challenge.split_once("error=\"")?;
    rest.split_once('"').map(|(code, _)| code)
}

struct ReadScope;
impl ScopeName for ReadScope {
    const SCOPE: &'static str = "idmap:read";
}

async fn report(_: RequireScope<ReadScope>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A service written as `examples/protected-service` is, on a free port.
fn protected_service(issuer: &str) -> String {
    let verifier = Verifier::new(VerifierConfig::new(issuer, "idmap")).unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(BearerAuth::from(verifier.clone()))
            .route("/reports", web::get().to(report))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/reports", server.addrs()[0]);
    tokio::spawn(server.run());
    url
}

#[tokio::test]
async fn every_service_answers_the_edge_table_alike() {
    let sys = System::start(TestDatabase::create(Backend::Sqlite).unwrap())
        .await
        .unwrap();
    let user = sys.user("edge@example.org").await.unwrap();
    let targets = [
        Target {
            name: "idmap-server",
            url: format!("{}/api/v1/admin/stats", sys.idmap_url),
            audience: "idmap".into(),
            scope: "idmap:admin",
            sub: "edge-test".into(),
        },
        Target {
            name: "auth-server admin API",
            url: format!("{}/admin/api/v1/partners", sys.auth_url),
            audience: sys.auth_url.clone(),
            scope: "admin",
            sub: "edge-test".into(),
        },
        Target {
            name: "auth-server user API",
            url: format!("{}/accounts/resource/user/{user}", sys.auth_url),
            audience: sys.auth_url.clone(),
            scope: "profile",
            sub: user.clone(),
        },
        Target {
            name: "protected service",
            url: protected_service(&sys.auth_url),
            audience: "idmap".into(),
            scope: "idmap:read",
            sub: "edge-test".into(),
        },
    ];
    for target in &targets {
        for (row, headers, (status, error)) in rows(&sys, target) {
            let mut req = sys.http.get(&target.url);
            for h in &headers {
                req = req.header("authorization", h);
            }
            let res = req.send().await.unwrap();
            let case = format!("{} / {row}", target.name);
            assert_eq!(res.status().as_u16(), status, "{case}");
            if status == 200 {
                continue;
            }
            let challenge = res
                .headers()
                .get("www-authenticate")
                .unwrap_or_else(|| panic!("{case}: no challenge"))
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                challenge.starts_with("Bearer realm=\"idmap\""),
                "{case}: {challenge}"
            );
            assert_eq!(challenge_error(&challenge), error, "{case}: {challenge}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(
                body["error"],
                error.unwrap_or("invalid_token"),
                "{case}: {body}"
            );
        }
    }
}
