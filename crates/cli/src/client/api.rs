//! `POST /api/v1/link` with a token, retries and the error mapping a cron
//! job needs: transient failures are retried within the policy's bounds,
//! a 401 fetches a new token once, 422 `salt_mismatch` stops everything, and
//! any other 4xx is fatal with the server's own message (which names patient
//! indexes and fields, never values).

use super::retry::RetryPolicy;
use super::token::TokenSource;
use super::{Attempt, describe, is_transient, retry_after};
use crate::exit::Failure;
use crate::progress::Log;
use idmap_common::wire::{LinkRequest, LinkResult};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use std::time::Instant;
use url::Url;

/// Client of the link endpoint.
pub struct LinkApi {
    http: reqwest::Client,
    link_url: Url,
    tokens: TokenSource,
    policy: RetryPolicy,
    log: Log,
    retries: u64,
    /// The URL the retry lines last named, so they name it once.
    named: Option<String>,
}

/// A refused request as the server explained it.
#[derive(Debug, serde::Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(default)]
    details: Option<Vec<ErrorDetail>>,
}

#[derive(Debug, serde::Deserialize)]
struct ErrorDetail {
    index: usize,
    field: String,
    message: String,
}

impl LinkApi {
    /// A client for the server at `base` (its `/api/v1/link`).
    pub fn new(
        http: reqwest::Client,
        base: &Url,
        tokens: TokenSource,
        policy: RetryPolicy,
        log: Log,
    ) -> anyhow::Result<Self> {
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let link_url = base.join("api/v1/link")?;
        Ok(LinkApi {
            http,
            link_url,
            tokens,
            policy,
            log,
            retries: 0,
            named: None,
        })
    }

    /// Failed attempts that were retried so far.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// Tokens fetched so far.
    pub fn tokens_fetched(&self) -> u64 {
        self.tokens.fetched()
    }

    /// Links one batch; `row_of` maps a patient index of the batch to its
    /// input row, so the server's complaints point at rows.
    pub async fn link(
        &mut self,
        request: &LinkRequest,
        row_of: impl Fn(usize) -> Option<u64>,
    ) -> Result<Vec<LinkResult>, Failure> {
        let body = serde_json::to_vec(request)
            .map_err(|e| Failure::Refused(format!("cannot encode the request: {e}")))?;
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let outcome = self.attempt(&body, request, &row_of).await;
            let (at, reason, retry_after) = match outcome {
                Ok(results) => return Ok(results),
                Err(Attempt::Fatal(failure)) => return Err(failure),
                Err(Attempt::Unauthorized(reason)) if !refreshed => {
                    // The cached token was revoked or expired early (clock
                    // skew, key rotation): one fresh token, at once.
                    refreshed = true;
                    self.log
                        .info(&format!("{reason}; fetching a new token and retrying"));
                    self.tokens.invalidate();
                    attempt -= 1;
                    continue;
                }
                Err(Attempt::Unauthorized(reason)) => {
                    return Err(Failure::Refused(format!(
                        "{reason}, even with a fresh token (is the client allowed scope idmap:link?)"
                    )));
                }
                Err(Attempt::Retry {
                    at,
                    reason,
                    retry_after,
                }) => (at, reason, retry_after),
            };
            let delay = self.policy.delay(attempt, retry_after, &mut rand::rng());
            if !self.policy.allows(attempt, started.elapsed(), delay) {
                return Err(Failure::Transient {
                    target: at,
                    attempts: attempt,
                    elapsed_s: started.elapsed().as_secs_f64(),
                    last: reason,
                });
            }
            self.retries += 1;
            let place = if self.named.as_deref() == Some(at.as_str()) {
                String::new()
            } else {
                let place = format!(" at {at}");
                self.named = Some(at);
                place
            };
            self.log.info(&format!(
                "attempt {attempt} failed{place} ({reason}); retrying in {:.1} s",
                delay.as_secs_f64()
            ));
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &mut self,
        body: &[u8],
        request: &LinkRequest,
        row_of: &impl Fn(usize) -> Option<u64>,
    ) -> Result<Vec<LinkResult>, Attempt> {
        let token = self.tokens.bearer().await?;
        let response = self
            .http
            .post(self.link_url.clone())
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Attempt::retry(&self.link_url, describe(e)))?;
        let status = response.status();
        if status.is_success() {
            let answer: idmap_common::wire::LinkResponse = response.json().await.map_err(|e| {
                Attempt::retry(
                    &self.link_url,
                    format!("unreadable answer: {}", describe(e)),
                )
            })?;
            if answer.results.len() != request.patients.len() {
                return Err(Attempt::Fatal(Failure::Refused(format!(
                    "the server answered {} results for {} patients",
                    answer.results.len(),
                    request.patients.len()
                ))));
            }
            return Ok(answer.results);
        }
        let wait = retry_after(&response);
        let text = response.text().await.unwrap_or_default();
        let parsed: Option<ErrorBody> = serde_json::from_str(&text).ok();
        if is_transient(status) {
            return Err(Attempt::Retry {
                at: self.link_url.to_string(),
                reason: format!("{status}"),
                retry_after: wait,
            });
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Attempt::Unauthorized(format!(
                "the server answered 401{}",
                super::oauth_error(&text)
            )));
        }
        let code = parsed.as_ref().and_then(|b| b.error.as_deref());
        if status == StatusCode::UNPROCESSABLE_ENTITY && code == Some("salt_mismatch") {
            return Err(Attempt::Fatal(Failure::SaltMismatch {
                fingerprint: request.salt_fingerprint.clone().unwrap_or_default(),
            }));
        }
        self.log.debug(&format!("refused request body: {text}"));
        let mut explained = explain(status, parsed.as_ref(), row_of);
        if matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
            explained.push_str(&not_the_link_endpoint(&self.link_url));
        }
        Err(Attempt::Fatal(Failure::Refused(explained)))
    }
}

/// Why a 404 or 405 from the link endpoint most likely means a wrong
/// `--url`: every idmap-server has `/api/v1/link`.
fn not_the_link_endpoint(url: &Url) -> String {
    format!(
        " from {url}: the server there has no link endpoint; --url must be the idmap-server's \
         base URL (the auth-server's goes in --issuer or --token-url)"
    )
}

/// The server's explanation, with patient indexes turned into input rows.
fn explain(
    status: StatusCode,
    body: Option<&ErrorBody>,
    row_of: &impl Fn(usize) -> Option<u64>,
) -> String {
    let mut text = status.to_string();
    if let Some(body) = body {
        if let Some(code) = &body.error {
            text.push_str(&format!(" {code}"));
        }
        if let Some(description) = &body.error_description {
            text.push_str(&format!(": {description}"));
        }
        for (shown, detail) in body.details.iter().flatten().enumerate() {
            if shown == 10 {
                text.push_str("; ...");
                break;
            }
            let place = match row_of(detail.index) {
                Some(row) => format!("row {row}"),
                None => format!("patient {}", detail.index),
            };
            text.push_str(&format!("; {place} {}: {}", detail.field, detail.message));
        }
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        text.push_str(" (lower --batch-size)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_point_at_input_rows() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":"invalid_request","error_description":"bad items","details":[{"index":1,"field":"hashes[0].rule","message":"unknown rule"}]}"#,
        )
        .unwrap();
        let text = explain(StatusCode::BAD_REQUEST, Some(&body), &|i| {
            Some(100 + i as u64)
        });
        assert_eq!(
            text,
            "400 Bad Request invalid_request: bad items; row 101 hashes[0].rule: unknown rule"
        );
    }

    #[test]
    fn a_missing_endpoint_names_the_url_and_the_server_it_needs() {
        let url = Url::parse("https://auth.example.org/api/v1/link").unwrap();
        let text = not_the_link_endpoint(&url);
        assert!(
            text.contains("https://auth.example.org/api/v1/link"),
            "{text}"
        );
        assert!(text.contains("idmap-server"), "{text}");
    }
}
