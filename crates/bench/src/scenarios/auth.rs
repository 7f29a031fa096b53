//! Scenarios 1 and 2: client-credentials tokens and introspection on
//! auth-server, with `client_secret_basic` on keep-alive connections.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};

use super::{Check, Workload};
use crate::data::Rng;
use crate::http::{Request, Target, header};

/// A confidential client's credentials.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: String,
}

impl Client {
    fn basic(&self) -> anyhow::Result<(HeaderName, HeaderValue)> {
        // RFC 6749 2.3.1: form-encode, then base64; our ids and secrets
        // are URL-safe already.
        let raw = format!("{}:{}", self.id, self.secret);
        header(AUTHORIZATION, &format!("Basic {}", STANDARD.encode(raw)))
    }
}

fn form() -> anyhow::Result<(HeaderName, HeaderValue)> {
    header(CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// Scenario 1: `POST /oauth/token`, `grant_type=client_credentials`.
pub struct TokenWorkload {
    target: Target,
    request: Request,
}

impl TokenWorkload {
    pub fn new(target: Target, client: &Client) -> anyhow::Result<Self> {
        Ok(Self {
            target,
            request: Request {
                path: "/oauth/token",
                headers: vec![client.basic()?, form()?],
                body: Bytes::from_static(b"grant_type=client_credentials"),
            },
        })
    }
}

impl Workload for TokenWorkload {
    fn target(&self) -> &Target {
        &self.target
    }

    fn patients_per_request(&self) -> u64 {
        0
    }

    fn next(&self, _rng: &mut Rng, check: bool) -> anyhow::Result<(Request, Option<Check>)> {
        let check: Option<Check> = check.then(|| {
            Box::new(|body: &Bytes| {
                let v: serde_json::Value = serde_json::from_slice(body).ok()?;
                v.get("access_token")
                    .is_none()
                    .then(|| "token answer without access_token".to_owned())
            }) as Check
        });
        Ok((self.request.clone(), check))
    }
}

/// Scenario 2: `POST /oauth/introspect` of one live token by its own client.
pub struct IntrospectWorkload {
    target: Target,
    request: Request,
}

impl IntrospectWorkload {
    pub fn new(target: Target, client: &Client, token: &str) -> anyhow::Result<Self> {
        Ok(Self {
            target,
            request: Request {
                path: "/oauth/introspect",
                headers: vec![client.basic()?, form()?],
                body: Bytes::from(format!("token={token}")),
            },
        })
    }
}

impl Workload for IntrospectWorkload {
    fn target(&self) -> &Target {
        &self.target
    }

    fn patients_per_request(&self) -> u64 {
        0
    }

    fn next(&self, _rng: &mut Rng, check: bool) -> anyhow::Result<(Request, Option<Check>)> {
        let check: Option<Check> = check.then(|| {
            Box::new(|body: &Bytes| {
                let v: serde_json::Value = serde_json::from_slice(body).ok()?;
                (v.get("active") != Some(&serde_json::Value::Bool(true)))
                    .then(|| "introspection says the token is not active".to_owned())
            }) as Check
        });
        Ok((self.request.clone(), check))
    }
}

/// Gets one access token for the resource scenarios.
pub async fn fetch_token(auth: &Target, client: &Client, scope: &str) -> anyhow::Result<String> {
    let http = crate::http::reqwest_client(1)?;
    let response = http
        .post(format!("{}/oauth/token", auth.base))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .context("token request failed")?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.context("token answer is not JSON")?;
    if !status.is_success() {
        bail!("token request for {scope} refused: {status} {body}");
    }
    body.get("access_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .context("token answer without access_token")
}
