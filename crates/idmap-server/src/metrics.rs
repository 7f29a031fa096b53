//! idmap-server's own Prometheus metrics, registered in the application's
//! `idmap_web::Metrics` next to the shared HTTP ones:
//!
//! | metric | type | labels | meaning |
//! | --- | --- | --- | --- |
//! | `idmap_link_patients_total` | counter | `endpoint` (`link`, `save`), `outcome` (`new`, `matched`, `unidentified`) | patients answered, by how |
//! | `idmap_link_conflicts_total` | counter | `endpoint` | conflicts recorded for an admin |
//! | `idmap_link_ambiguous_hashes_total` | counter | `endpoint` | hashes that became ambiguous |
//! | `idmap_db_errors_total` | counter | `kind` (`unavailable`, `race`, `other`) | failed database calls answered to a client |
//! | `idmap_db_pool_connections` | gauge | `state` (`in_use`, `idle`) | pooled connections |
//! | `idmap_db_pool_max_connections` | gauge | | pool size limit |
//! | `idmap_jwks_refreshes_total` | counter | `result` (`ok`, `failed`) | JWKS fetches |
//! | `idmap_jwks_unknown_kid_refetches_total` | counter | | fetches caused by an unknown `kid` |
//! | `idmap_jwks_keys` | gauge | | signing keys cached |
//!
//! Outcomes are counted from the plan the store applied (the same counts as
//! the audit log), so a retried transaction counts once. Pool and verifier
//! figures are read at scrape time.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use idmap_common::verifier::Verifier;
use idmap_storage::Database;
use idmap_web::Metrics;
use idmap_web::metrics::prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts};
use idmap_web::metrics::{prometheus, sync_counter};

use crate::domain::linkage::LinkCounts;
use crate::error::ApiError;
use crate::startup::AppState;

/// The counters handlers move; gauges live in scrape hooks.
#[derive(Clone)]
pub struct ServiceMetrics {
    patients: IntCounterVec,
    conflicts: IntCounterVec,
    ambiguous: IntCounterVec,
    db_errors: IntCounterVec,
}

fn counter_vec(
    m: &Metrics,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let c = IntCounterVec::new(Opts::new(name, help), labels)?;
    m.registry().register(Box::new(c.clone()))?;
    Ok(c)
}

fn counter(m: &Metrics, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    let c = IntCounter::new(name, help)?;
    m.registry().register(Box::new(c.clone()))?;
    Ok(c)
}

fn gauge(m: &Metrics, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let g = IntGauge::new(name, help)?;
    m.registry().register(Box::new(g.clone()))?;
    Ok(g)
}

impl ServiceMetrics {
    /// Registers every idmap-server metric in `m` and the scrape hooks that
    /// read the pool and the verifier.
    pub fn register(m: &Metrics, db: Database, verifier: Verifier) -> prometheus::Result<Self> {
        let this = Self {
            patients: counter_vec(
                m,
                "idmap_link_patients_total",
                "Patients answered by link and save, by outcome",
                &["endpoint", "outcome"],
            )?,
            conflicts: counter_vec(
                m,
                "idmap_link_conflicts_total",
                "Conflicts recorded for admin review",
                &["endpoint"],
            )?,
            ambiguous: counter_vec(
                m,
                "idmap_link_ambiguous_hashes_total",
                "Hashes that became ambiguous (same-partner protection)",
                &["endpoint"],
            )?,
            db_errors: counter_vec(
                m,
                "idmap_db_errors_total",
                "Database failures answered to a client, by kind",
                &["kind"],
            )?,
        };
        let pool = IntGaugeVec::new(
            Opts::new("idmap_db_pool_connections", "Pooled database connections"),
            &["state"],
        )?;
        m.registry().register(Box::new(pool.clone()))?;
        let pool_max = gauge(
            m,
            "idmap_db_pool_max_connections",
            "Most connections the pool opens",
        )?;
        m.on_scrape(move || {
            let s = db.pool_state();
            pool.with_label_values(&["in_use"])
                .set(i64::from(s.in_use()));
            pool.with_label_values(&["idle"]).set(i64::from(s.idle));
            pool_max.set(i64::from(s.max));
        });
        let refreshes = counter_vec(
            m,
            "idmap_jwks_refreshes_total",
            "JWKS fetches from auth-server, by result",
            &["result"],
        )?;
        let unknown_kid = counter(
            m,
            "idmap_jwks_unknown_kid_refetches_total",
            "JWKS fetches triggered by a token with an unknown key id",
        )?;
        let keys = gauge(m, "idmap_jwks_keys", "Signing keys in the cached JWKS")?;
        m.on_scrape(move || {
            let s = verifier.stats();
            sync_counter(&refreshes.with_label_values(&["ok"]), s.refreshes_ok);
            sync_counter(
                &refreshes.with_label_values(&["failed"]),
                s.refreshes_failed,
            );
            sync_counter(&unknown_kid, s.unknown_kid_refetches);
            keys.set(i64::try_from(s.keys).unwrap_or(i64::MAX));
        });
        Ok(this)
    }

    /// Counts what one applied link or save request did.
    pub fn record_link(&self, endpoint: &str, counts: &LinkCounts) {
        let add = |c: &IntCounterVec, labels: &[&str], n: usize| {
            c.with_label_values(labels)
                .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
        };
        let new = counts.new_uuids.saturating_sub(counts.unidentified);
        add(&self.patients, &[endpoint, "new"], new);
        add(&self.patients, &[endpoint, "matched"], counts.matched);
        add(
            &self.patients,
            &[endpoint, "unidentified"],
            counts.unidentified,
        );
        add(&self.conflicts, &[endpoint], counts.conflicts);
        add(&self.ambiguous, &[endpoint], counts.ambiguous);
    }

    fn record_db_error(&self, kind: &str) {
        self.db_errors.with_label_values(&[kind]).inc();
    }
}

/// Middleware: counts the database failures handlers answered with; reads
/// the `ApiError` actix keeps on the error response.
pub async fn count_db_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state
        && let Some(ApiError::Database(failure)) = res
            .response()
            .error()
            .and_then(|e| e.as_error::<ApiError>())
    {
        state.metrics.record_db_error(failure.kind());
    }
    Ok(res)
}
