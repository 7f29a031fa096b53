//! Talking to the network: the HTTPS client (system roots, a given CA file,
//! or `--insecure` with a loud warning), the access token, the retry policy
//! and the link call that puts them together.
//!
//! Every failed attempt is classified once, here, as worth retrying or
//! fatal, so the retry loop itself stays a few lines. A failure carries the
//! URL it came from apart from its reason, so the retry lines name the URL
//! once instead of on every attempt.

pub mod api;
pub mod retry;
pub mod token;

use crate::exit::Failure;
use crate::progress::Log;
use anyhow::Context;
use reqwest::StatusCode;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// One failed attempt, classified.
#[derive(Debug)]
pub enum Attempt {
    /// Worth another try (network error, 408, 429, 5xx).
    Retry {
        /// The URL that failed.
        at: String,
        /// What went wrong, for the log (without the URL).
        reason: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The resource server said 401: fetch a new token and try once more.
    Unauthorized(String),
    /// No point in retrying.
    Fatal(Failure),
}

impl Attempt {
    /// A retryable failure at `at`, without `Retry-After`.
    pub fn retry(at: &url::Url, reason: String) -> Self {
        Attempt::Retry {
            at: at.to_string(),
            reason,
            retry_after: None,
        }
    }
}

/// TLS and timeout settings of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// PEM file of CA certificates to trust instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (testing only).
    pub insecure: bool,
    /// Limit for one request, answer included.
    pub timeout: Duration,
}

/// Builds the HTTP client: rustls with the platform verifier (system
/// roots) by default.
pub fn build_http(options: &HttpOptions, log: &Log) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("idmap/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30).min(options.timeout))
        .timeout(options.timeout);
    if let Some(path) = &options.ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read the CA file {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("the CA file {} is not PEM", path.display()))?;
        if certs.is_empty() {
            anyhow::bail!("the CA file {} holds no certificate", path.display());
        }
        builder = builder.tls_certs_only(certs);
    }
    if options.insecure {
        log.info(
            "WARNING: --insecure: server certificates are NOT checked. Anyone on the network \
             path can read the client secret and the hashes and forge the answers. Never use \
             this outside a test.",
        );
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder.build().context("cannot set up the HTTP client")
}

/// Warns when credentials would travel in clear text to another host.
pub fn warn_if_plain_http(url: &url::Url, log: &Log) {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        log.info(&format!(
            "WARNING: {url} is plain HTTP: the token and hashes travel unencrypted; use https://"
        ));
    }
}

/// Statuses worth retrying.
pub fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// The response's `Retry-After`, if readable.
pub fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
}

/// A network error with its causes (they name hosts and reasons, not data),
/// each said once, and without the URL, which the caller names once.
pub fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// `: code (description)` from an OAuth or API JSON error body, or nothing.
pub fn oauth_error(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return String::new();
    };
    let code = value.get("error").and_then(|v| v.as_str());
    let description = value.get("error_description").and_then(|v| v.as_str());
    match (code, description) {
        (Some(c), Some(d)) => format!(": {c} ({d})"),
        (Some(c), None) => format!(": {c}"),
        (None, Some(d)) => format!(": {d}"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(is_transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 413, 415, 422] {
            assert!(!is_transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn error_bodies_are_summarized() {
        assert_eq!(
            oauth_error(r#"{"error":"invalid_client","error_description":"bad secret"}"#),
            ": invalid_client (bad secret)"
        );
        assert_eq!(oauth_error("<html>"), "");
    }
}
