//! Prometheus metrics of one application: a registry owned by the app (no
//! global default registry, so several apps in one test process keep
//! separate counts), the HTTP metrics every service has, hooks that read
//! state at scrape time (pool sizes, verifier counters), and the
//! `GET /metrics` handler rendering the Prometheus text format.
//!
//! HTTP metrics:
//! - `http_requests_total{method, route, status}` (counter);
//! - `http_request_duration_seconds{method, route, status}` (histogram).
//!
//! `route` is the pattern the request matched (`/api/v1/admin/uuids/{uuid}`),
//! never the raw path, so a scanner cannot blow up the label set; requests
//! that matched no route share `route="unmatched"`.

use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

pub use prometheus;

/// Content type of the Prometheus text exposition format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Route label of requests that matched no registered route.
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: from a cached lookup (a millisecond) to a
/// 10,000-patient link batch on a busy database (tens of seconds).
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

type Hook = Box<dyn Fn() + Send + Sync>;

/// The metrics of one application; share it as `web::Data<Metrics>`.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    /// Run before every scrape; behind a mutex so that two concurrent
    /// scrapes cannot both add the same delta in [`sync_counter`].
    hooks: Mutex<Vec<Hook>>,
}

impl Metrics {
    /// A fresh registry with the HTTP metrics registered.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let labels = ["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request received to response headers ready",
            )
            .buckets(BUCKETS.to_vec()),
            &labels,
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
            hooks: Mutex::new(Vec::new()),
        })
    }

    /// Where a service registers its own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// A counter registered here, for handlers to move.
    pub fn counter(&self, name: &str, help: &str) -> prometheus::Result<IntCounter> {
        let c = IntCounter::new(name, help)?;
        self.registry.register(Box::new(c.clone()))?;
        Ok(c)
    }

    /// A labelled counter registered here.
    pub fn counter_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> prometheus::Result<IntCounterVec> {
        let c = IntCounterVec::new(Opts::new(name, help), labels)?;
        self.registry.register(Box::new(c.clone()))?;
        Ok(c)
    }

    /// A gauge registered here, usually set by an [`Metrics::on_scrape`] hook.
    pub fn gauge(&self, name: &str, help: &str) -> prometheus::Result<IntGauge> {
        let g = IntGauge::new(name, help)?;
        self.registry.register(Box::new(g.clone()))?;
        Ok(g)
    }

    /// A labelled gauge registered here.
    pub fn gauge_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> prometheus::Result<IntGaugeVec> {
        let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
        self.registry.register(Box::new(g.clone()))?;
        Ok(g)
    }

    /// Runs `hook` before every scrape, to copy state (pool sizes, counters
    /// kept elsewhere) into gauges and counters of this registry.
    pub fn on_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.lock_hooks().push(Box::new(hook));
    }

    fn lock_hooks(&self) -> std::sync::MutexGuard<'_, Vec<Hook>> {
        // A hook that panicked leaves nothing half-written worth refusing.
        self.hooks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.duration.with_label_values(&labels).observe(seconds);
    }

    /// Runs the scrape hooks and renders the registry as Prometheus text.
    pub fn render(&self) -> String {
        let hooks = self.lock_hooks();
        for hook in hooks.iter() {
            hook();
        }
        let families = self.registry.gather();
        drop(hooks);
        let mut out = Vec::new();
        if let Err(e) = prometheus::TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(error = %e, "cannot render metrics");
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Raises `counter` to `total`, a count kept elsewhere since start (such as
/// the verifier's refresh counters): Prometheus counters only go up, so the
/// difference is added; a smaller `total` is ignored.
pub fn sync_counter(counter: &IntCounter, total: u64) {
    let current = counter.get();
    if total > current {
        counter.inc_by(total - current);
    }
}

/// Middleware: counts and times every request by method, route pattern and
/// status, using the `web::Data<Metrics>` the app registered (does nothing
/// when there is none). Wrap it inside [`crate::request_id::request_context`].
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let started = Instant::now();
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(res) => {
                let route = res.request().match_pattern();
                let route = route.as_deref().unwrap_or(UNMATCHED);
                metrics.observe(&method, route, res.status().as_u16(), seconds);
            }
            Err(e) => {
                let status = e.as_response_error().status_code().as_u16();
                metrics.observe(&method, UNMATCHED, status, seconds);
            }
        }
    }
    result
}

/// `GET /metrics`: the Prometheus text format.
pub async fn get_metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    let body = web::block(move || metrics.render())
        .await
        .unwrap_or_default();
    HttpResponse::Ok().content_type(TEXT_FORMAT).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_catch_up_with_totals_and_never_go_down() {
        let c = IntCounter::new("x_total", "x").unwrap();
        sync_counter(&c, 3);
        sync_counter(&c, 5);
        sync_counter(&c, 4);
        assert_eq!(c.get(), 5);
    }

    #[test]
    fn registries_are_independent_and_render_text() {
        let (a, b) = (Metrics::new().unwrap(), Metrics::new().unwrap());
        a.observe("GET", "/x/{id}", 200, 0.003);
        let text = a.render();
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/x/{id}\",status=\"200\"} 1")
        );
        assert!(text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/x/{id}\",status=\"200\",le=\"0.005\"} 1"));
        assert!(!b.render().contains("/x/{id}"));
    }
}
