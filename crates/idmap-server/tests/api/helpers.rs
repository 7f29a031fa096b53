//! Test harness: a stand-in issuer (RFC 8414 metadata and a JWKS served by
//! a real HTTP server on port 0, tokens minted with a committed test-only
//! key) and the real idmap-server started in-process on port 0 with a fresh
//! database of the backend the test names (see [`per_backend`]).

use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use idmap_common::{AccessClaims, Audience};
use idmap_server::config::Settings;
use idmap_server::db::schema::bindings;
use idmap_server::startup::Application;
use idmap_storage::testing::TestDatabase;
use idmap_storage::{Backend, Database, DatabaseUrl};
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const KID: &str = "test-key";
const PRIVATE_PEM: &[u8] = include_bytes!("../fixtures/test_only_rsa_private.pem");
const OTHER_PEM: &[u8] = include_bytes!("../fixtures/test_only_rsa_other_private.pem");

/// A hash that no test binds unless it says so.
pub fn hash(n: u32) -> String {
    format!("{n:064x}")
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The stand-in authorization server.
pub struct Issuer {
    pub url: String,
    key: EncodingKey,
    server: actix_web::dev::ServerHandle,
}

impl Issuer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let key = EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(KID.into());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let jwks = json!({ "keys": [jwk] });
        let metadata = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/oauth/jwks.json"),
            "token_endpoint": format!("{url}/oauth/token"),
        });
        let server = HttpServer::new(move || {
            let (jwks, metadata) = (jwks.clone(), metadata.clone());
            App::new()
                .route(
                    "/.well-known/oauth-authorization-server",
                    web::get().to(move || {
                        let m = metadata.clone();
                        async move { HttpResponse::Ok().json(m) }
                    }),
                )
                .route(
                    "/oauth/jwks.json",
                    web::get().to(move || {
                        let j = jwks.clone();
                        async move {
                            HttpResponse::Ok()
                                .insert_header(("Cache-Control", "public, max-age=300"))
                                .json(j)
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            key,
            server: handle,
        }
    }

    /// Stops serving metadata and JWKS, as when auth-server goes down.
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }

    /// Claims of a valid partner token with `scope`.
    pub fn claims(&self, scope: &str, partner: Option<&str>) -> AccessClaims {
        let now = now();
        AccessClaims {
            iss: self.url.clone(),
            sub: "client-1".into(),
            aud: Audience::One("idmap".into()),
            exp: now + 3600,
            iat: now,
            nbf: now,
            jti: format!("{:x}", rand::random::<u64>()),
            client_id: "client-1".into(),
            scope: scope.into(),
            partner: partner.map(str::to_owned),
        }
    }

    pub fn sign(&self, claims: &AccessClaims) -> String {
        sign_with(&self.key, claims)
    }

    /// A token of `partner` with scope `idmap:link`.
    pub fn link_token(&self, partner: &str) -> String {
        self.sign(&self.claims("idmap:link", Some(partner)))
    }

    pub fn admin_token(&self) -> String {
        self.sign(&self.claims("idmap:admin", None))
    }

    pub fn read_token(&self) -> String {
        self.sign(&self.claims("idmap:read", None))
    }

    /// Same claims and kid, signed by a key the JWKS does not publish.
    pub fn sign_with_other_key(&self, claims: &AccessClaims) -> String {
        sign_with(&EncodingKey::from_rsa_pem(OTHER_PEM).unwrap(), claims)
    }

    /// `alg: none` with an empty signature.
    pub fn unsigned(&self, claims: &AccessClaims) -> String {
        let header = json!({"alg": "none", "typ": "at+jwt", "kid": KID});
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(serde_json::to_string(claims).unwrap())
        )
    }
}

fn sign_with(key: &EncodingKey, claims: &AccessClaims) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some(KID.into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// The server under test, with the database it owns for this test.
pub struct TestApp {
    pub url: String,
    pub issuer: Issuer,
    pub http: reqwest::Client,
    pub db: Database,
    pub backend: Backend,
    /// Declared last: dropped (the database removed) after everything using it.
    _test_db: Option<TestDatabase>,
}

/// Runs `test` on a fresh database of `backend`; returns early (the
/// notice printed by `TestDatabase`) when that server is absent outside CI.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if let Some(db) = TestDatabase::create(backend) {
        test(db).await;
    }
}

/// One test per backend for each named `async fn name(db: TestDatabase)`:
/// `name::sqlite`, `name::postgres` and `name::mysql`, each on its own
/// fresh database, so a filter such as `postgres` runs one backend.
macro_rules! per_backend {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use idmap_storage::Backend;

            #[tokio::test]
            async fn sqlite() {
                crate::helpers::run(Backend::Sqlite, super::$name).await;
            }

            #[tokio::test]
            async fn postgres() {
                crate::helpers::run(Backend::Postgres, super::$name).await;
            }

            #[tokio::test]
            async fn mysql() {
                crate::helpers::run(Backend::Mysql, super::$name).await;
            }
        }
    )+};
}

pub async fn spawn_app(db: TestDatabase) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// Starts the server with extra `IDMAP_*` variables.
pub async fn spawn_app_with(db: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    let app = start_app(db, extra).await;
    app.wait_ready().await;
    app
}

/// Starts the server without waiting for it to be ready.
pub async fn start_app(test_db: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    let mut app = start_app_at(test_db.url(), extra).await;
    app._test_db = Some(test_db);
    app
}

/// Starts the server on a database the caller manages (a private server).
pub async fn start_app_at(db_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let issuer = Issuer::start().await;
    let db_url = db_url.to_owned();
    let mut env: HashMap<String, String> = HashMap::from([
        ("IDMAP_LISTEN".into(), "127.0.0.1:0".into()),
        ("IDMAP_DATABASE_URL".into(), db_url.clone()),
        ("IDMAP_ISSUER".into(), issuer.url.clone()),
        ("IDMAP_DB_POOL_SIZE".into(), "4".into()),
        // The rule tests are written for this policy; tests of the others
        // set their own.
        ("IDMAP_SAME_PARTNER_POLICY".into(), "ambiguous".into()),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let settings = Settings::load(None, &env).unwrap();
    let app = Application::build(&settings).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = Database::connect(&DatabaseUrl::parse(&db_url).unwrap(), 2).unwrap();
    TestApp {
        url,
        issuer,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        db,
        backend: DatabaseUrl::parse(&db_url).unwrap().backend(),
        _test_db: None,
    }
}

impl TestApp {
    pub async fn wait_ready(&self) {
        for _ in 0..200 {
            let r = self
                .http
                .get(format!("{}/health/ready", self.url))
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server did not become ready");
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let r = self.request(reqwest::Method::GET, "/metrics").await;
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    /// Sends `method` to `path` without credentials or a body.
    pub async fn request(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// POSTs JSON with a bearer token (none when `token` is `None`).
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.url)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// GETs with a bearer token; answers status and JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// POSTs JSON as an admin; answers status and JSON body.
    pub async fn admin_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .post(path, Some(&self.issuer.admin_token()), body)
            .await;
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// The UUID each hash answers through `/api/v1/lookup`.
    pub async fn lookup(&self, hashes: &[&str]) -> Vec<Option<String>> {
        let r = self
            .lookup_as(&self.issuer.read_token(), &json!(hashes))
            .await;
        lookup_uuids(&r.json().await.unwrap())
    }

    /// `/api/v1/lookup` of `hashes` (a JSON array) with `token`.
    pub async fn lookup_as(&self, token: &str, hashes: &Value) -> reqwest::Response {
        self.post("/api/v1/lookup", Some(token), &json!({ "hashes": hashes }))
            .await
    }

    /// POSTs to `/api/v1/link` as `partner`; asserts 200 and returns the UUIDs.
    pub async fn link_ok(&self, partner: &str, body: &Value) -> Vec<String> {
        let r = self
            .post("/api/v1/link", Some(&self.issuer.link_token(partner)), body)
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{v}");
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uuid"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Row count of every table plus the number of ambiguous bindings.
    pub async fn counts(&self) -> BTreeMap<&'static str, i64> {
        self.db
            .run(|c| {
                let mut counts = idmap_server::db::row_counts(c)?;
                let ambiguous: i64 = bindings::table
                    .filter(bindings::ambiguous.eq(true))
                    .count()
                    .get_result(c)?;
                counts.insert("ambiguous", ambiguous);
                Ok(counts)
            })
            .await
            .unwrap()
    }
}

/// The value of the sample `series` (name and labels exactly as rendered)
/// in Prometheus text, 0 when absent (counters appear on first use).
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// The UUID of each result of a `/api/v1/lookup` answer.
pub fn lookup_uuids(answer: &Value) -> Vec<Option<String>> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().map(str::to_owned))
        .collect()
}

/// One test patient: optional ref and `(rule, hash)` pairs.
pub type TestPatient<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)]);

/// A link body of patients `(ref, [(rule, hash)])`.
pub fn link_body(patients: &[TestPatient<'_>]) -> Value {
    let patients: Vec<Value> = patients
        .iter()
        .map(|(r, hashes)| {
            let hashes: Vec<Value> = hashes
                .iter()
                .map(|(rule, hash)| json!({"rule": rule, "hash": hash}))
                .collect();
            match r {
                Some(r) => json!({"ref": r, "hashes": hashes}),
                None => json!({"hashes": hashes}),
            }
        })
        .collect();
    json!({ "patients": patients })
}
