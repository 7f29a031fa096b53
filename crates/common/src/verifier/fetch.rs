//! HTTP side of the key cache: RFC 8414 discovery and the JWKS download.
//!
//! Responses are read with a size cap, and errors carry no URL (it may hold
//! credentials in its user-info part) and no response body.

use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL};
use serde::Deserialize;

use super::config::{VerifierConfig, is_http_url};
use super::error::JwksError;
use super::jwks::{KeySet, cache_lifetime};

/// Metadata and JWKS documents are a few KiB; anything near this is wrong.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A freshly downloaded key set and how long it may be used.
pub(crate) struct Fetched {
    pub(crate) keys: KeySet,
    pub(crate) lifetime: Duration,
}

/// Finds the JWKS URL in the issuer's RFC 8414 metadata.
pub(crate) async fn discover_jwks_url(
    client: &reqwest::Client,
    config: &VerifierConfig,
) -> Result<String, JwksError> {
    #[derive(Deserialize)]
    struct Metadata {
        issuer: Option<String>,
        jwks_uri: Option<String>,
    }
    const WHAT: &str = "metadata";
    let (body, _) = get(client, &config.metadata_url(), WHAT).await?;
    let metadata: Metadata =
        serde_json::from_slice(&body).map_err(|source| JwksError::Json { what: WHAT, source })?;
    if metadata.issuer.as_deref() != Some(config.issuer.as_str()) {
        return Err(JwksError::IssuerMismatch);
    }
    metadata
        .jwks_uri
        .filter(|uri| is_http_url(uri))
        .ok_or(JwksError::MissingJwksUri)
}

/// Downloads and parses the JWKS.
pub(crate) async fn fetch_jwks(
    client: &reqwest::Client,
    config: &VerifierConfig,
    url: &str,
) -> Result<Fetched, JwksError> {
    let (body, cache_control) = get(client, url, "JWKS").await?;
    let keys = KeySet::from_json(&body, &config.algorithms)?;
    let lifetime = cache_lifetime(
        cache_control.as_deref(),
        config.default_cache_lifetime,
        config.min_cache_lifetime,
        config.max_cache_lifetime,
    );
    Ok(Fetched { keys, lifetime })
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    what: &'static str,
) -> Result<(Vec<u8>, Option<String>), JwksError> {
    let http = |source: reqwest::Error| JwksError::Http {
        what,
        source: source.without_url(),
    };
    let mut response = client
        .get(url)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(http)?;
    let status = response.status();
    if !status.is_success() {
        return Err(JwksError::Status {
            what,
            status: status.as_u16(),
        });
    }
    let too_large = JwksError::TooLarge {
        what,
        limit: MAX_RESPONSE_BYTES,
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large);
    }
    let cache_control = response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    let cache_control = (!cache_control.is_empty()).then_some(cache_control);
    Ok((body, cache_control))
}
