//! Test harness: a real server in-process on port 0 with its own key
//! directory and a temporary SQLite file (or a database of any backend,
//! see [`spawn_app_on`]), plus helpers to register users and clients, to
//! run the grants (the browser side in [`flow`]) and to verify tokens
//! against the served JWKS.

pub mod flow;
pub mod process;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_server::config::Settings;
use auth_server::domain::client_secret::SecretHasher;
use auth_server::services::clients::{self, NewClient};
use auth_server::services::credentials::STALE_AFTER;
use auth_server::startup::{Embedded, embed};
use diesel::connection::SimpleConnection;
use idmap_common::clock::now_unix;
use idmap_storage::Database;
use idmap_storage::testing::{TestDatabase, all_backends};
use idmap_storage::{Backend, StorageError};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// Issuer every test server uses.
pub const ISSUER: &str = "http://auth.test";

/// The password of every test user (it passes the policy).
pub const PASSWORD: &str = "violet kettle marching";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub settings: Settings,
    pub db: Database,
    pub hasher: Arc<SecretHasher>,
    pub client: reqwest::Client,
    /// Holds the database file and key directory until the test ends.
    pub dir: Arc<tempfile::TempDir>,
}

/// The environment a test server is configured with.
pub fn test_env(dir: &std::path::Path, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("AUTH_LISTEN", "127.0.0.1:0".to_owned()),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        (
            "AUTH_DATABASE_URL",
            format!("sqlite://{}", dir.join("auth.db").display()),
        ),
        (
            "AUTH_SIGNING_KEY_DIR",
            dir.join("keys").display().to_string(),
        ),
        ("AUTH_DB_POOL_SIZE", "4".to_owned()),
        ("AUTH_MAIL_DIR", dir.join("mail").display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a server with extra `AUTH_*` variables over the test defaults.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_in(Arc::new(tempfile::tempdir().unwrap()), extra).await
}

/// Starts a server on `db` (one of the three backends) with extra
/// `AUTH_*` variables; servers started in one `dir` are replicas.
pub async fn spawn_app_on(
    db: &TestDatabase,
    dir: Arc<tempfile::TempDir>,
    extra: &[(&str, &str)],
) -> TestApp {
    let mut env = vec![("AUTH_DATABASE_URL", db.url())];
    env.extend_from_slice(extra);
    spawn_app_in(dir, &env).await
}

/// Two replicas on one database and one key directory, so that both sign
/// with the same keys and only the database ties them together.
async fn spawn_replicas(db: &TestDatabase) -> (TestApp, TestApp) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let a = spawn_app_on(db, dir.clone(), &[]).await;
    let b = spawn_app_on(db, dir, &[]).await;
    (a, b)
}

/// Runs `check` against two replicas on one database, on every backend
/// side by side (so each waits out the staleness bound only once).
pub async fn on_replicas_of_every_backend<F>(check: impl Fn(Backend, TestApp, TestApp) -> F)
where
    F: Future<Output = ()>,
{
    let check = &check;
    futures_util::future::join_all(all_backends().map(|db| async move {
        let (a, b) = spawn_replicas(&db).await;
        check(db.backend(), a, b).await;
    }))
    .await;
}

/// The SQL that revokes the token `jti` for an hour.
pub fn revoke_sql(jti: &str) -> String {
    format!(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ('{jti}', {});",
        now_unix() + 3_600
    )
}

/// Starts a server on an existing directory (to test restarts).
pub async fn spawn_app_in(dir: Arc<tempfile::TempDir>, extra: &[(&str, &str)]) -> TestApp {
    let settings = Settings::load(None, &test_env(dir.path(), extra)).unwrap();
    let Embedded {
        url: address,
        db,
        hasher,
    } = embed(&settings).await.unwrap();
    TestApp {
        address,
        settings,
        db,
        hasher,
        client: reqwest::Client::new(),
        dir,
    }
}

impl TestApp {
    pub async fn add_partner(&self, code: &str) {
        clients::add_partner(&self.db, code, &format!("Partner {code}"))
            .await
            .unwrap();
    }

    /// Registers a confidential client; returns (client_id, client_secret).
    pub async fn add_client(&self, partner: Option<&str>, scope: &str) -> (String, String) {
        let new = NewClient::confidential(partner, scope);
        let created = clients::add_client(&self.db, &self.hasher, new)
            .await
            .unwrap();
        (created.client_id, created.client_secret.unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A form POST to `path` as the client `(id, secret)` (HTTP Basic).
    pub fn client_post(
        &self,
        path: &str,
        (id, secret): (&str, &str),
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .basic_auth(id, Some(secret))
            .form(form)
    }

    /// Runs `sql` on the database itself, as another replica or the CLI
    /// writes, and waits until every replica must see it (`STALE_AFTER`
    /// after the commit).
    pub async fn commit_elsewhere(&self, sql: String) {
        self.db
            .run(move |c| c.batch_execute(&sql).map_err(StorageError::from))
            .await
            .unwrap();
        let committed = Instant::now();
        tokio::time::sleep_until((committed + STALE_AFTER + Duration::from_millis(10)).into())
            .await;
    }

    /// Introspection of `token` asked by the client `(id, secret)`; the
    /// status and the body (`null` if none).
    pub async fn introspect(&self, (id, secret): (&str, &str), token: &str) -> (u16, Value) {
        let res = self
            .client_post("/oauth/introspect", (id, secret), &[("token", token)])
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Whether introspection, asked by the client `(id, secret)`, reports
    /// `token` active.
    pub async fn introspect_active(&self, who: (&str, &str), token: &str) -> bool {
        let (status, body) = self.introspect(who, token).await;
        assert_eq!(status, 200);
        body["active"].as_bool().unwrap()
    }

    /// POSTs a form to the token endpoint.
    pub async fn post_token(
        &self,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url("/oauth/token")).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.send().await.unwrap()
    }

    /// A client-credentials grant of the client `(id, secret)` with HTTP Basic.
    pub async fn client_grant(&self, id: &str, secret: &str) -> reqwest::Response {
        self.post_token(Some((id, secret)), &[("grant_type", "client_credentials")])
            .await
    }

    /// The access token of a client-credentials grant; panics unless issued.
    pub async fn client_token(&self, id: &str, secret: &str) -> String {
        let res = self.client_grant(id, secret).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A token of a new client with scope `admin`, for the admin API.
    pub async fn admin_token(&self) -> String {
        let (id, secret) = self.add_client(None, "admin").await;
        self.client_token(&id, &secret).await
    }

    /// Whether introspection by a new client with scope `introspect`
    /// reports `token` active.
    pub async fn active(&self, token: &str) -> bool {
        let (id, secret) = self.add_client(None, "introspect").await;
        self.introspect_active((&id, &secret), token).await
    }

    /// GETs `path` and returns its JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        res.json().await.unwrap()
    }

    /// The links mailed to `to` so far (file mailer), oldest first.
    pub fn mailed_links(&self, to: &str) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.settings.mail_dir)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .filter(|m| m.contains(&format!("To: {to}")))
            .flat_map(|m| {
                m.split_whitespace()
                    .filter(|w| w.starts_with("http") && w.contains("token="))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Starts idmap-server (SQLite) trusting this server's JWKS and waits
    /// until it has loaded the keys; returns its base URL and database.
    pub async fn spawn_idmap(&self) -> (String, TestDatabase) {
        let db = TestDatabase::create(idmap_storage::Backend::Sqlite).unwrap();
        let env: HashMap<String, String> = [
            ("IDMAP_LISTEN", "127.0.0.1:0".to_owned()),
            ("IDMAP_DATABASE_URL", db.url().to_owned()),
            ("IDMAP_ISSUER", ISSUER.to_owned()),
            ("IDMAP_JWKS_URL", self.url("/oauth/jwks.json")),
            ("IDMAP_DB_POOL_SIZE", "4".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let settings = idmap_server::config::Settings::load(None, &env).unwrap();
        let app = idmap_server::startup::Application::build(&settings)
            .await
            .unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let started = std::time::Instant::now();
        while self
            .client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .map_or(true, |r| r.status() != 200)
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "idmap-server never loaded the JWKS"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        (base, db)
    }

    /// Calls the admin API with `token` (none: no `Authorization`);
    /// returns the status and the JSON body (`null` if none).
    pub async fn admin_call(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.url(&format!("/admin/api/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The status of the readiness probe.
    pub async fn ready(&self) -> u16 {
        let res = self.client.get(self.url("/health/ready")).send().await;
        res.unwrap().status().as_u16()
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let res = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.text().await.unwrap()
    }

    pub async fn jwks(&self) -> JwkSet {
        self.client
            .get(self.url("/oauth/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Verifies `token` with the served JWKS; returns (header, claims as JSON).
    pub async fn verify(&self, token: &str) -> (jsonwebtoken::Header, Value) {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let jwks = self.jwks().await;
        let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[ISSUER]);
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud", "nbf", "iat"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap();
        (data.header, data.claims)
    }
}

/// The status of a one-hash `/api/v1/lookup` at idmap-server `idmap`.
/// Sends `req`; the status.
pub async fn status_of(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

pub async fn lookup(client: &reqwest::Client, idmap: &str, token: &str) -> u16 {
    client
        .post(format!("{idmap}/api/v1/lookup"))
        .bearer_auth(token)
        .json(&serde_json::json!({"hashes": ["a".repeat(64)]}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The value of one series (`name{labels}` exactly as rendered) in a
/// Prometheus text, 0 when absent.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// The states of the signing keys a key listing shows, in its order.
pub fn key_states(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect()
}

/// The algorithm each `AUTH_SIGNING_ALG` value signs with.
pub fn expected_alg(name: &str) -> Algorithm {
    match name {
        "ES256" => Algorithm::ES256,
        "EdDSA" => Algorithm::EdDSA,
        _ => Algorithm::RS256,
    }
}
