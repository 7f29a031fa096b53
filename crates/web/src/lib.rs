//! What auth-server and idmap-server need identically, so that operators
//! see one way to run, configure and stop them, one log format, one
//! request-id convention and one set of HTTP metrics across the network:
//!
//! - [`serve`]: a binary's `main` (allocator, runtime, one-line failure),
//!   the listener, the HTTP server inside the shared middleware, and a
//!   graceful stop on SIGTERM or SIGINT;
//! - [`openapi`]: `GET /openapi.json` from the service's utoipa document;
//! - [`internal_error`]: the reference a 500 answer names, logged once with
//!   the cause;
//! - [`settings`]: defaults, TOML file and environment variables from one
//!   table per service, which `--help` prints too;
//! - [`report`]: a failed start as one line on stderr;
//! - [`request_id`]: takes nginx's `X-Request-Id` (or makes one), puts it in
//!   a span around every log line of the request, in the response, in the
//!   request extensions and in a task-local for error bodies;
//! - [`logging`]: the `tracing` subscriber, text or JSON lines, `RUST_LOG`;
//! - [`metrics`]: a Prometheus registry per application, the middleware
//!   counting requests and timing them by route pattern and status, and the
//!   `GET /metrics` handler;
//! - [`allocator`]: caps glibc's malloc arenas, which otherwise hold the
//!   same working set once per contending thread;
//! - [`db_metrics`]: database pool gauges and failures answered to
//!   clients, the same metrics under each service's prefix;
//! - [`timeouts`]: limits on the request head, the body and idle
//!   connections, so a stalled client cannot hold a connection;
//! - `testing` (feature `testing`): what both services' integration tests
//!   check the same way, from the binary's `--help` to the OpenAPI routes.
//!
//! Metrics use the `prometheus` crate (tikv, maintained, used by TiKV and
//! many actix services) without its protobuf feature: it renders the classic
//! Prometheus text format that every scraper reads, its registries are plain
//! values (one per application, so tests can run several apps in one
//! process), and labelled vectors take label values at run time, which the
//! route-pattern label needs. `prometheus-client` was the alternative; it
//! speaks OpenMetrics and wants label sets as types, more ceremony for no
//! gain here.

pub mod allocator;
pub mod db_metrics;
pub mod internal_error;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod report;
pub mod request_id;
pub mod serve;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timeouts;

pub use db_metrics::DbMetrics;
pub use logging::LogFormat;
pub use metrics::Metrics;
pub use request_id::{RequestId, current_request_id};
