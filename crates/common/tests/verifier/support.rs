//! Test support: the committed test-only keys, a token builder, and a real
//! HTTP server on 127.0.0.1:0 that serves RFC 8414 metadata and a JWKS and
//! counts what it is asked.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use idmap_common::verifier::{Verifier, VerifierConfig};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const RSA_KID: &str = "test-rsa-1";
pub const EC_KID: &str = "test-ec-1";
pub const ED_KID: &str = "test-ed-1";
pub const AUDIENCE: &str = "idmap";

pub const RSA_PUBLIC_PEM: &[u8] = include_bytes!("../fixtures/test_only_rsa_public.pem");

pub fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(include_bytes!("../fixtures/test_only_rsa_private.pem")).unwrap()
}

pub fn other_rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(include_bytes!(
        "../fixtures/test_only_rsa_other_private.pem"
    ))
    .unwrap()
}

pub fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(include_bytes!("../fixtures/test_only_ec_p256_private.pem")).unwrap()
}

pub fn ed_key() -> EncodingKey {
    EncodingKey::from_ed_pem(include_bytes!("../fixtures/test_only_ed25519_private.pem")).unwrap()
}

/// The public JWK of `key`, as an issuer would publish it.
pub fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
    let mut jwk = serde_json::to_value(Jwk::from_encoding_key(key, alg).unwrap()).unwrap();
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    jwk
}

pub fn jwks(keys: Vec<Value>) -> Value {
    json!({ "keys": keys })
}

/// The usual published set: one key of each type.
pub fn standard_jwks() -> Value {
    jwks(vec![
        jwk(&rsa_key(), Algorithm::RS256, RSA_KID),
        jwk(&ec_key(), Algorithm::ES256, EC_KID),
        jwk(&ed_key(), Algorithm::EdDSA, ED_KID),
    ])
}

pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Claims of a valid partner token from `issuer`.
pub fn claims(issuer: &str) -> Value {
    let now = now();
    json!({
        "iss": issuer,
        "sub": "client-1",
        "aud": AUDIENCE,
        "exp": now + 600,
        "iat": now,
        "nbf": now,
        "jti": "jti-1",
        "client_id": "client-1",
        "scope": "idmap:link",
        "partner": "P1",
    })
}

/// An access-token header (`typ: at+jwt`) naming `kid`.
pub fn header(alg: Algorithm, kid: Option<&str>) -> Header {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header.kid = kid.map(str::to_owned);
    header
}

pub fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

/// Verifier settings for tests: short intervals so nothing waits long.
pub fn config(issuer: &str) -> VerifierConfig {
    let mut config = VerifierConfig::new(issuer, AUDIENCE);
    config.min_cache_lifetime = Duration::from_secs(1);
    config.http_timeout = Duration::from_secs(2);
    config
}

/// A verifier that has loaded the JWKS of `server` once.
pub async fn ready_verifier(server: &JwksServer) -> Verifier {
    let verifier = Verifier::new(config(&server.issuer)).unwrap();
    verifier.refresh().await.unwrap();
    assert!(verifier.is_ready());
    verifier
}

pub struct ServerState {
    issuer: String,
    jwks: Mutex<Value>,
    cache_control: Mutex<Option<String>>,
    available: AtomicBool,
    delay: Mutex<Duration>,
    metadata_hits: AtomicUsize,
    jwks_hits: Mutex<Vec<Instant>>,
}

/// Serves `/.well-known/oauth-authorization-server` and `/jwks.json`.
///
/// Connections are not kept alive, so stopping the accept loop really takes
/// the server away.
pub struct JwksServer {
    pub issuer: String,
    state: Arc<ServerState>,
    accept: Option<JoinHandle<()>>,
}

impl JwksServer {
    pub async fn start(jwks: Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(ServerState {
            issuer: issuer.clone(),
            jwks: Mutex::new(jwks),
            cache_control: Mutex::new(Some("public, max-age=300".into())),
            available: AtomicBool::new(true),
            delay: Mutex::new(Duration::ZERO),
            metadata_hits: AtomicUsize::new(0),
            jwks_hits: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<_>| {
                        let response = state.respond(request.uri().path());
                        let delay = *state.delay.lock().unwrap();
                        async move {
                            tokio::time::sleep(delay).await;
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            issuer,
            state,
            accept: Some(accept),
        }
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.issuer)
    }

    pub fn set_jwks(&self, jwks: Value) {
        *self.state.jwks.lock().unwrap() = jwks;
    }

    pub fn set_cache_control(&self, value: Option<&str>) {
        *self.state.cache_control.lock().unwrap() = value.map(str::to_owned);
    }

    /// While unavailable every request gets a 503, like an auth-server that
    /// is still starting behind nginx.
    pub fn set_available(&self, available: bool) {
        self.state.available.store(available, Ordering::SeqCst);
    }

    /// Answers every request only after `delay`, to keep fetches in flight.
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    pub fn metadata_hits(&self) -> usize {
        self.state.metadata_hits.load(Ordering::SeqCst)
    }

    /// JWKS requests so far, answered or not.
    pub fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.lock().unwrap().len()
    }

    pub fn jwks_hit_times(&self) -> Vec<Instant> {
        self.state.jwks_hits.lock().unwrap().clone()
    }

    /// Closes the listening socket; later connections are refused.
    pub async fn stop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(accept) = &self.accept {
            accept.abort();
        }
    }
}

impl ServerState {
    fn respond(&self, path: &str) -> Response<Full<Bytes>> {
        let body = match path {
            "/.well-known/oauth-authorization-server" => {
                self.metadata_hits.fetch_add(1, Ordering::SeqCst);
                json!({
                    "issuer": self.issuer,
                    "jwks_uri": format!("{}/jwks.json", self.issuer),
                    "token_endpoint": format!("{}/oauth/token", self.issuer),
                })
            }
            "/jwks.json" => {
                self.jwks_hits.lock().unwrap().push(Instant::now());
                self.jwks.lock().unwrap().clone()
            }
            _ => return status(StatusCode::NOT_FOUND),
        };
        if !self.available.load(Ordering::SeqCst) {
            return status(StatusCode::SERVICE_UNAVAILABLE);
        }
        let mut response = Response::builder().header("content-type", "application/json");
        if path == "/jwks.json"
            && let Some(value) = self.cache_control.lock().unwrap().as_deref()
        {
            response = response.header("cache-control", value);
        }
        response
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// Polls `condition` every 20 ms for at most `limit`.
pub async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}
