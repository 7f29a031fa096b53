//! idmap-server's own Prometheus metrics, registered in the application's
//! `idmap_web::Metrics` next to the shared HTTP ones:
//!
//! | metric | type | labels | meaning |
//! | --- | --- | --- | --- |
//! | `idmap_link_patients_total` | counter | `endpoint` (`link`, `save`), `outcome` (`new`, `matched`, `unidentified`) | patients answered, by how |
//! | `idmap_link_conflicts_total` | counter | `endpoint` | conflicts recorded for an admin |
//! | `idmap_link_ambiguous_hashes_total` | counter | `endpoint` | hashes that became ambiguous |
//! | `idmap_db_errors_total` | counter | `kind` (`unavailable`, `race`, `storage_exhausted`, `capacity_exhausted`, `other`) | failed database calls answered to a client |
//! | `idmap_db_writes_failing` | gauge | | 1 while writes fail for lack of storage (readiness is 503 meanwhile) |
//! | `idmap_db_pool_connections` | gauge | `state` (`in_use`, `idle`) | pooled connections |
//! | `idmap_db_pool_max_connections` | gauge | | pool size limit |
//! | `idmap_jwks_refreshes_total` | counter | `result` (`ok`, `failed`) | JWKS fetches |
//! | `idmap_jwks_unknown_kid_refetches_total` | counter | | fetches caused by an unknown `kid` |
//! | `idmap_jwks_keys` | gauge | | signing keys cached |
//!
//! The database rows are `idmap_web::DbMetrics` (shared with auth-server),
//! fed by [`db_error_kind`]. Outcomes are counted from the plan the store
//! applied (the same counts as the audit log), so a retried transaction
//! counts once. Pool and verifier figures are read at scrape time.

use idmap_common::verifier::Verifier;
use idmap_web::Metrics;
use idmap_web::metrics::prometheus::IntCounterVec;
use idmap_web::metrics::{prometheus, sync_counter};

use crate::domain::linkage::LinkCounts;
use crate::error::ApiError;

/// The counters handlers move; gauges live in scrape hooks.
#[derive(Clone)]
pub struct ServiceMetrics {
    patients: IntCounterVec,
    conflicts: IntCounterVec,
    ambiguous: IntCounterVec,
}

impl ServiceMetrics {
    /// Registers the linkage and JWKS metrics in `m` and the scrape hook
    /// that reads the verifier.
    pub fn register(m: &Metrics, verifier: Verifier) -> prometheus::Result<Self> {
        let this = Self {
            patients: m.counter_vec(
                "idmap_link_patients_total",
                "Patients answered by link and save, by outcome",
                &["endpoint", "outcome"],
            )?,
            conflicts: m.counter_vec(
                "idmap_link_conflicts_total",
                "Conflicts recorded for admin review",
                &["endpoint"],
            )?,
            ambiguous: m.counter_vec(
                "idmap_link_ambiguous_hashes_total",
                "Hashes that became ambiguous (same-partner protection)",
                &["endpoint"],
            )?,
        };
        let refreshes = m.counter_vec(
            "idmap_jwks_refreshes_total",
            "JWKS fetches from auth-server, by result",
            &["result"],
        )?;
        let unknown_kid = m.counter(
            "idmap_jwks_unknown_kid_refetches_total",
            "JWKS fetches triggered by a token with an unknown key id",
        )?;
        let keys = m.gauge("idmap_jwks_keys", "Signing keys in the cached JWKS")?;
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
}

/// The `kind` of `idmap_db_errors_total` for an error response: read from
/// the `ApiError` actix keeps on it.
pub fn db_error_kind(e: &actix_web::Error) -> Option<&'static str> {
    match e.as_error::<ApiError>()? {
        ApiError::Database(failure) => Some(failure.kind()),
        _ => None,
    }
}
