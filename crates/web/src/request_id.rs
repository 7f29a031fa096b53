//! Request ids, end to end: nginx sets `X-Request-Id` (its `$request_id`)
//! and passes it on; this middleware keeps a sane incoming id or makes one,
//! opens a span carrying it around the whole request (so every log line of
//! the request has it), answers it in the response header, and leaves it
//! where code needs it: the request extensions (the [`RequestId`]
//! extractor, for audit entries) and a task-local ([`current_request_id`],
//! for error bodies built far from the request). It also writes one
//! access-log line per request with status and duration.

use std::future::{Ready, ready};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use tracing::Instrument;

/// Header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming id kept; longer ones are replaced, not truncated, so a
/// log search for the client's id never half-matches.
const MAX_LEN: usize = 128;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled; also an extractor that never fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id the middleware stored, or a fresh one when it did not run
    /// (a handler called without the middleware, as in some unit tests).
    pub fn of(req: &HttpRequest) -> Self {
        req.extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self(generate()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequest for RequestId {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// The id of the request being handled, if called while handling one.
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// 32 lowercase hex digits, the shape of nginx's `$request_id`.
pub(crate) fn generate() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// An incoming id is kept only if it is 1 to 128 visible ASCII characters:
/// it goes into log lines and a response header, so nothing that could
/// forge a line or a header gets through.
fn sane(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_LEN && value.bytes().all(|b| b.is_ascii_graphic())
}

fn incoming(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    sane(value).then(|| value.to_owned())
}

/// Middleware (`App::wrap(from_fn(request_context))`, outermost): request
/// id, a span per request, one access-log line.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming(&req).unwrap_or_else(generate);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let header = HeaderValue::from_str(&id).ok();
    let mut res = CURRENT
        .scope(id, next.call(req))
        .instrument(span.clone())
        .await?;
    if let Some(value) = header {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "request finished"
        );
    });
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ascii_ids_are_kept() {
        assert!(sane("0123abcd-EF"));
        assert!(!sane(""));
        assert!(!sane("has space"));
        assert!(!sane("line\nbreak"));
        assert!(!sane(&"a".repeat(MAX_LEN + 1)));
        assert!(sane(&"a".repeat(MAX_LEN)));
        assert!(!sane("caf\u{e9}"));
    }

    #[test]
    fn generated_ids_look_like_nginx_ones() {
        let id = generate();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
