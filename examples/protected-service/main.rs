//! An internal service protected by idmap access tokens: the whole of what
//! another team writes. Run it beside a local auth-server:
//!
//! ```text
//! cargo run -p idmap-actix-auth --example protected-service
//! TOKEN=$(curl -s -u "$ID:$SECRET" -d grant_type=client_credentials \
//!     http://127.0.0.1:8081/oauth/token | jq -r .access_token)
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8090/reports
//! ```
//!
//! Settings: `ISSUER` (default `http://127.0.0.1:8081`), `AUDIENCE`
//! (default `idmap`), `LISTEN` (default `127.0.0.1:8090`).

use actix_web::{App, HttpResponse, HttpServer, web};
use idmap_actix_auth::{BearerAuth, BearerClaims, RequireScope, ScopeName};
use idmap_common::verifier::{Verifier, VerifierConfig};

/// The scope the report endpoint requires.
struct ReadScope;

impl ScopeName for ReadScope {
    const SCOPE: &'static str = "idmap:read";
}

/// Any valid token: say who is calling.
async fn whoami(claims: BearerClaims) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "sub": claims.sub,
        "client_id": claims.client_id,
        "scope": claims.scope,
    }))
}

/// Only tokens with `idmap:read`.
async fn reports(auth: RequireScope<ReadScope>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "reports": [],
        "requested_by": auth.client_id,
    }))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let verifier = Verifier::new(VerifierConfig::new(
        env_or("ISSUER", "http://127.0.0.1:8081"),
        env_or("AUDIENCE", "idmap"),
    ))?;
    // Loads the JWKS as soon as the issuer answers and keeps it fresh.
    let _refresh = verifier.spawn_refresh_task();
    let listen = env_or("LISTEN", "127.0.0.1:8090");
    tracing::info!(%listen, "protected service listening");
    HttpServer::new(move || {
        App::new()
            .app_data(BearerAuth::from(verifier.clone()))
            .route("/whoami", web::get().to(whoami))
            .route("/reports", web::get().to(reports))
    })
    .bind(listen)?
    .run()
    .await?;
    Ok(())
}
