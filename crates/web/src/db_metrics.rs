//! Database metrics both services export, each under its own prefix
//! (`idmap`, `auth`), so one dashboard and one set of alerts fit both:
//!
//! | metric | type | labels | meaning |
//! | --- | --- | --- | --- |
//! | `<prefix>_db_errors_total` | counter | `kind` (the service's classes: `unavailable`, `race`, `storage_exhausted`, `capacity_exhausted`, `other`) | failed database calls answered to a client |
//! | `<prefix>_db_writes_failing` | gauge | | 1 while writes fail for lack of storage (readiness is 503 meanwhile) |
//! | `<prefix>_db_pool_connections` | gauge | `state` (`in_use`, `idle`) | pooled connections |
//! | `<prefix>_db_pool_max_connections` | gauge | | pool size limit |
//!
//! Pool figures are read at scrape time. Errors are counted from the error
//! a handler answered with, by [`count_db_errors`]; which errors are
//! database failures, and of which kind, only the service's own error types
//! know, so each service hands a [`Classify`] function to
//! [`DbMetrics::register`].

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use idmap_storage::Database;
use prometheus::IntCounterVec;

use crate::Metrics;

/// The `kind` label of a database failure inside an error response, or
/// `None` when the error is not one.
pub type Classify = fn(&actix_web::Error) -> Option<&'static str>;

/// The error counter and the classifier; share it as `web::Data<DbMetrics>`.
#[derive(Clone)]
pub struct DbMetrics {
    errors: IntCounterVec,
    classify: Classify,
}

impl DbMetrics {
    /// Registers the four metrics under `prefix` and the scrape hook that
    /// reads `db`'s pool.
    pub fn register(
        m: &Metrics,
        prefix: &str,
        db: Database,
        classify: Classify,
    ) -> prometheus::Result<Self> {
        let errors = m.counter_vec(
            &format!("{prefix}_db_errors_total"),
            "Database failures answered to a client, by kind",
            &["kind"],
        )?;
        let pool = m.gauge_vec(
            &format!("{prefix}_db_pool_connections"),
            "Pooled database connections",
            &["state"],
        )?;
        let pool_max = m.gauge(
            &format!("{prefix}_db_pool_max_connections"),
            "Most connections the pool opens",
        )?;
        let writes_failing = m.gauge(
            &format!("{prefix}_db_writes_failing"),
            "1 while database writes fail for lack of storage",
        )?;
        m.on_scrape(move || {
            let s = db.pool_state();
            pool.with_label_values(&["in_use"])
                .set(i64::from(s.in_use()));
            pool.with_label_values(&["idle"]).set(i64::from(s.idle));
            pool_max.set(i64::from(s.max));
            writes_failing.set(i64::from(db.writes_failing()));
        });
        Ok(Self { errors, classify })
    }

    /// Counts one failure of `kind`.
    pub fn record_error(&self, kind: &str) {
        self.errors.with_label_values(&[kind]).inc();
    }
}

/// Middleware: counts the database failures handlers answered with, using
/// the `web::Data<DbMetrics>` the app registered (does nothing without it).
/// Wrap it inside [`crate::metrics::track`].
pub async fn count_db_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<DbMetrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics
        && let Some(kind) = res.response().error().and_then(metrics.classify)
    {
        metrics.record_error(kind);
    }
    Ok(res)
}
