//! Scenarios 1 and 2: client-credentials tokens and introspection at the
//! authorization server's endpoints, with `client_secret_basic` on
//! keep-alive connections.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::Value;

use super::{Check, Workload};
use crate::data::Rng;
use crate::http::{Endpoint, Request, Target, header};

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

/// Both scenarios send one form, the same every time, as the client, and
/// check the first JSON answer of each worker.
pub struct FormWorkload {
    target: Target,
    request: Request,
    problem: fn(&Value) -> Option<String>,
}

impl FormWorkload {
    fn new(
        endpoint: &Endpoint,
        client: &Client,
        form: &[(&str, &str)],
        problem: fn(&Value) -> Option<String>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            target: endpoint.target.clone(),
            request: Request {
                path: endpoint.path.clone().into(),
                headers: vec![
                    client.basic()?,
                    header(CONTENT_TYPE, "application/x-www-form-urlencoded")?,
                ],
                body: Bytes::from(serde_urlencoded::to_string(form)?),
            },
            problem,
        })
    }

    /// Scenario 1: `grant_type=client_credentials`, for `resource` when
    /// given (RFC 8707; some servers sign JWTs only for a named resource).
    pub fn token(
        endpoint: &Endpoint,
        client: &Client,
        resource: Option<&str>,
    ) -> anyhow::Result<Self> {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(resource.map(|r| ("resource", r)));
        Self::new(endpoint, client, &form, |v| {
            v.get("access_token")
                .is_none()
                .then(|| "token answer without access_token".to_owned())
        })
    }

    /// Scenario 2: introspection of one live token by its own client.
    pub fn introspect(endpoint: &Endpoint, client: &Client, token: &str) -> anyhow::Result<Self> {
        Self::new(endpoint, client, &[("token", token)], |v| {
            (v.get("active") != Some(&Value::Bool(true)))
                .then(|| "introspection says the token is not active".to_owned())
        })
    }
}

impl Workload for FormWorkload {
    fn target(&self) -> &Target {
        &self.target
    }

    fn patients_per_request(&self) -> u64 {
        0
    }

    fn next(&self, _rng: &mut Rng, check: bool) -> anyhow::Result<(Request, Option<Check>)> {
        let problem = self.problem;
        let check: Option<Check> = check.then(|| {
            Box::new(move |body: &Bytes| problem(&serde_json::from_slice(body).ok()?)) as Check
        });
        Ok((self.request.clone(), check))
    }
}

/// Gets one access token for the resource scenarios.
pub async fn fetch_token(token: &Endpoint, client: &Client, scope: &str) -> anyhow::Result<String> {
    let http = crate::http::reqwest_client(1)?;
    let response = http
        .post(token.url())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client {
            id: "c1".into(),
            secret: "s1".into(),
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint::parse("http://127.0.0.1:9000/token").unwrap()
    }

    fn answer(w: &FormWorkload, body: &str) -> Option<String> {
        let (_, check) = w.next(&mut Rng::new(1), true).unwrap();
        check.unwrap()(&Bytes::from(body.to_owned()))
    }

    #[test]
    fn token_form_names_the_resource_when_given() {
        let plain = FormWorkload::token(&endpoint(), &client(), None).unwrap();
        assert_eq!(plain.request.body, "grant_type=client_credentials");
        assert_eq!(plain.request.path, "/token");
        let named = FormWorkload::token(&endpoint(), &client(), Some("urn:idmap")).unwrap();
        assert_eq!(
            named.request.body,
            "grant_type=client_credentials&resource=urn%3Aidmap"
        );
    }

    #[test]
    fn checks_tell_a_wrong_answer() {
        let token = FormWorkload::token(&endpoint(), &client(), None).unwrap();
        assert_eq!(answer(&token, r#"{"access_token":"x"}"#), None);
        assert!(answer(&token, r#"{"error":"invalid_client"}"#).is_some());
        let introspect = FormWorkload::introspect(&endpoint(), &client(), "t").unwrap();
        assert_eq!(answer(&introspect, r#"{"active":true}"#), None);
        assert!(answer(&introspect, r#"{"active":false}"#).is_some());
    }
}
