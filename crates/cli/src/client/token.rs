//! The client-credentials access token: fetched from the token endpoint
//! (given, or found in the issuer's RFC 8414 metadata), cached, and fetched
//! again shortly before it expires or when the server answers 401.
//!
//! The client secret is sent with HTTP Basic (`client_secret_basic`) and
//! lives in a `SecretString`, so it is never printed; error messages carry
//! the endpoint's OAuth error code and description only.

use super::Attempt;
use crate::progress::Log;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::{Duration, Instant};
use url::Url;

/// Lifetime assumed when the token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// Refreshed this long before expiry at most (a quarter of short lifetimes).
const MAX_MARGIN: Duration = Duration::from_secs(60);

/// Where the token endpoint is.
#[derive(Debug, Clone)]
pub enum TokenEndpoint {
    /// Given directly.
    Url(Url),
    /// Found through `{issuer}/.well-known/oauth-authorization-server`.
    Issuer(Url),
}

/// A cached token and when to stop using it.
struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

/// Fetches and caches access tokens.
pub struct TokenSource {
    http: reqwest::Client,
    endpoint: TokenEndpoint,
    resolved: Option<Url>,
    client_id: String,
    secret: SecretString,
    cached: Option<Cached>,
    log: Log,
    fetched: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Metadata {
    token_endpoint: String,
}

/// When a token of `lifetime` should be replaced: a quarter of its life or
/// a minute before it expires, whichever is sooner after it was issued.
pub fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 4).min(MAX_MARGIN)
}

impl TokenSource {
    /// A source for `client_id`; nothing is fetched yet.
    pub fn new(
        http: reqwest::Client,
        endpoint: TokenEndpoint,
        client_id: String,
        secret: SecretString,
        log: Log,
    ) -> Self {
        TokenSource {
            http,
            endpoint,
            resolved: None,
            client_id,
            secret,
            cached: None,
            log,
            fetched: 0,
        }
    }

    /// Tokens fetched so far.
    pub fn fetched(&self) -> u64 {
        self.fetched
    }

    /// Forgets the cached token (after a 401), so the next call fetches one.
    pub fn invalidate(&mut self) {
        self.cached = None;
    }

    /// A valid token, fetched if the cached one is missing or near expiry.
    pub async fn bearer(&mut self) -> Result<SecretString, Attempt> {
        if let Some(cached) = &self.cached
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let url = self.token_url().await?;
        let started = Instant::now();
        let response = self
            .http
            .post(url.clone())
            .basic_auth(&self.client_id, Some(self.secret.expose_secret()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| Attempt::retry(&url, format!("token endpoint: {}", super::describe(e))))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = super::retry_after(&response);
            let body = response.text().await.unwrap_or_default();
            let what = format!(
                "token endpoint answered {status}{}",
                super::oauth_error(&body)
            );
            return Err(if super::is_transient(status) {
                Attempt::Retry {
                    at: url.to_string(),
                    reason: what,
                    retry_after,
                }
            } else {
                Attempt::Fatal(crate::exit::Failure::Refused(format!(
                    "the token endpoint {url} answered {status}{} (check the client id and secret)",
                    super::oauth_error(&body)
                )))
            });
        }
        let body: TokenResponse = response.json().await.map_err(|e| {
            Attempt::retry(
                &url,
                format!("token endpoint: unreadable answer: {}", super::describe(e)),
            )
        })?;
        let lifetime = body
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let token = SecretString::from(body.access_token);
        self.fetched += 1;
        self.log.debug(&format!(
            "fetched an access token valid for {} s",
            lifetime.as_secs()
        ));
        self.cached = Some(Cached {
            token: token.clone(),
            refresh_at: started + refresh_after(lifetime),
        });
        Ok(token)
    }

    async fn token_url(&mut self) -> Result<Url, Attempt> {
        if let Some(url) = &self.resolved {
            return Ok(url.clone());
        }
        let url = match &self.endpoint {
            TokenEndpoint::Url(url) => url.clone(),
            TokenEndpoint::Issuer(issuer) => discover(&self.http, issuer).await?,
        };
        self.resolved = Some(url.clone());
        Ok(url)
    }
}

/// Reads the token endpoint from the issuer's metadata.
async fn discover(http: &reqwest::Client, issuer: &Url) -> Result<Url, Attempt> {
    let base = issuer.as_str().trim_end_matches('/');
    let url = Url::parse(&format!("{base}/.well-known/oauth-authorization-server"))
        .map_err(|e| Attempt::Fatal(crate::exit::Failure::Refused(format!("--issuer: {e}"))))?;
    let response =
        http.get(url.clone()).send().await.map_err(|e| {
            Attempt::retry(&url, format!("issuer metadata: {}", super::describe(e)))
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(if super::is_transient(status) {
            Attempt::retry(&url, format!("issuer metadata: {status}"))
        } else {
            Attempt::Fatal(crate::exit::Failure::Refused(format!(
                "{url} answered {status}; is --issuer right? (or pass --token-url)"
            )))
        });
    }
    let metadata: Metadata = response.json().await.map_err(|e| {
        Attempt::retry(
            &url,
            format!("issuer metadata: unreadable: {}", super::describe(e)),
        )
    })?;
    Url::parse(&metadata.token_endpoint).map_err(|_| {
        Attempt::Fatal(crate::exit::Failure::Refused(format!(
            "{url}: token_endpoint is not a URL"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_before_they_expire() {
        assert_eq!(
            refresh_after(Duration::from_secs(3600)),
            Duration::from_secs(3540)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(2)),
            Duration::from_millis(1500)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(120)),
            Duration::from_secs(90)
        );
    }
}
