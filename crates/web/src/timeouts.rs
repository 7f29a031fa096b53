//! Time limits at the HTTP edge, the same in both services, so that a
//! client that stalls cannot hold a connection: actix-web's own limits for
//! the request head (`client_request_timeout`) and idle keep-alive, plus a
//! limit on the body, which actix-web does not have. Once the handler has
//! waited [`HttpTimeouts::body`] for a body that stopped arriving, the
//! answer is a 408 `request_timeout` and the connection is closed.
//!
//! ```no_run
//! # use actix_web::{App, HttpServer, web, middleware::from_fn};
//! # use idmap_web::timeouts::{HttpTimeouts, limit_body_time};
//! # fn build(t: HttpTimeouts) -> std::io::Result<()> {
//! let body = web::Data::new(t.body_limit());
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(body.clone())
//!         .wrap(from_fn(limit_body_time))
//! })
//! .client_request_timeout(t.header)
//! .keep_alive(t.keep_alive);
//! # Ok(()) }
//! ```

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures_util::Stream;
use idmap_common::error::{ErrorBody, ErrorCode};

use crate::settings::SettingsError;

/// The three limits, in each service's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// From connection (or end of the previous request) to the end of the
    /// request head.
    pub header: Duration,
    /// From the start of the handler to the last byte of the body.
    pub body: Duration,
    /// How long an idle connection stays open between requests.
    pub keep_alive: Duration,
}

impl HttpTimeouts {
    /// The limits from the settings' seconds.
    pub fn from_secs(header: u64, body: u64, keep_alive: u64) -> Self {
        Self {
            header: Duration::from_secs(header),
            body: Duration::from_secs(body),
            keep_alive: Duration::from_secs(keep_alive),
        }
    }

    /// Refuses a limit of zero, which would drop every request; `prefix`
    /// is the service's (`AUTH`, `IDMAP`), naming its variables.
    pub fn check(&self, prefix: &str) -> Result<(), SettingsError> {
        if [self.header, self.body, self.keep_alive].contains(&Duration::ZERO) {
            return Err(SettingsError::new(format!(
                "{prefix}_HEADER_TIMEOUT, {prefix}_BODY_TIMEOUT and {prefix}_KEEP_ALIVE \
                 must be at least 1"
            )));
        }
        Ok(())
    }

    /// The body limit as the app data [`limit_body_time`] reads.
    pub fn body_limit(&self) -> BodyTimeout {
        BodyTimeout(self.body)
    }
}

/// The body limit, registered as `web::Data<BodyTimeout>`.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// Middleware: the request body must arrive within the [`BodyTimeout`] the
/// app registered (no limit without one). Wrap it first, so that the
/// metrics and logs around it see the 408.
pub async fn limit_body_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(limit) = req.app_data::<web::Data<BodyTimeout>>().map(|t| t.0) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let expired = Rc::new(Cell::new(false));
    let inner = req.take_payload();
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
        inner,
        timer: Box::pin(tokio::time::sleep(limit)),
        expired: expired.clone(),
    });
    req.set_payload(Payload::from(stream));
    let res = next.call(req).await?;
    if !expired.get() {
        return Ok(res.map_into_left_body());
    }
    tracing::info!(
        limit_s = limit.as_secs(),
        "request body timed out; closing the connection"
    );
    let answer = HttpResponse::RequestTimeout()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .force_close()
        .json(ErrorBody::new(
            ErrorCode::RequestTimeout,
            format!(
                "the request body did not arrive within {} seconds",
                limit.as_secs()
            ),
        ));
    Ok(res.into_response(answer).map_into_right_body())
}

/// The request body, cut off with a timed-out error at the deadline.
struct Deadline {
    inner: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.get() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => {}
            ready => return ready,
        }
        if self.timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.expired.set(true);
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the request body did not arrive in time",
        )))))
    }
}
