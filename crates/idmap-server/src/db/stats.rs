//! Per-partner statistics for admins: patients (refs), hashes bound,
//! hashes the partner made ambiguous, and open conflicts. Counted with grouped
//! queries; the numbers of all partners fit in one answer.

use std::collections::BTreeMap;

use diesel::dsl::count_star;
use diesel::prelude::*;
use idmap_storage::{DbConnection, StorageError};
use serde::Serialize;

use super::schema::{ambiguous_hashes, bindings, conflicts, merges, patient_refs, uuids};

/// The counts of one partner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartnerStats {
    /// Patients the partner sent with a ref (distinct refs).
    pub patients: i64,
    /// Hashes first bound by this partner's submissions.
    pub hashes: i64,
    /// Hashes this partner's submissions made ambiguous (rule 5 and its
    /// guards), whoever bound them first.
    pub ambiguous_hashes: i64,
    pub open_conflicts: i64,
}

/// Network-wide totals and per-partner counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub uuids: i64,
    pub merged_uuids: i64,
    pub merges: i64,
    pub partners: BTreeMap<String, PartnerStats>,
}

/// Reads every count in one go.
pub fn load(conn: &mut DbConnection) -> Result<Stats, StorageError> {
    let mut stats = Stats {
        uuids: uuids::table.count().get_result(conn)?,
        merged_uuids: uuids::table
            .filter(uuids::merged_into.is_not_null())
            .count()
            .get_result(conn)?,
        merges: merges::table.count().get_result(conn)?,
        partners: BTreeMap::new(),
    };
    let refs: Vec<(String, i64)> = patient_refs::table
        .group_by(patient_refs::partner)
        .select((patient_refs::partner, count_star()))
        .load(conn)?;
    for (p, n) in refs {
        stats.partners.entry(p).or_default().patients = n;
    }
    let hashes: Vec<(String, i64)> = bindings::table
        .group_by(bindings::partner)
        .select((bindings::partner, count_star()))
        .load(conn)?;
    for (p, n) in hashes {
        stats.partners.entry(p).or_default().hashes = n;
    }
    let ambiguous: Vec<(String, i64)> = ambiguous_hashes::table
        .group_by(ambiguous_hashes::partner)
        .select((ambiguous_hashes::partner, count_star()))
        .load(conn)?;
    for (p, n) in ambiguous {
        stats.partners.entry(p).or_default().ambiguous_hashes = n;
    }
    let open: Vec<(String, i64)> = conflicts::table
        .filter(conflicts::status.eq("open"))
        .group_by(conflicts::partner)
        .select((conflicts::partner, count_star()))
        .load(conn)?;
    for (p, n) in open {
        stats.partners.entry(p).or_default().open_conflicts = n;
    }
    Ok(stats)
}
