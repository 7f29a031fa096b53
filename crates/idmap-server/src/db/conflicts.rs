//! The `conflicts` table: patients whose hashes pointed at several UUIDs
//! (rules 2 and 4), for an admin to review or merge. A dedupe key over
//! partner, ref and the sorted candidates makes a retry record nothing new.

use diesel::prelude::*;
use idmap_storage::{DbConnection, StorageError};
use sha2::{Digest, Sha256};

use super::rows_per_insert;
use super::schema::conflicts;
use crate::domain::linkage::Conflict;

#[derive(Insertable)]
#[diesel(table_name = conflicts, treat_none_as_default_value = false)]
struct NewRow {
    dedupe_key: Vec<u8>,
    partner: String,
    patient_ref: Option<String>,
    uuid: Vec<u8>,
    candidates: Vec<u8>,
    status: &'static str,
    created_at: i64,
    resolved_at: Option<i64>,
}

/// sha256 over partner, ref (or its absence) and the sorted candidates.
pub fn dedupe_key(partner: &str, c: &Conflict) -> [u8; 32] {
    let mut d = Sha256::new();
    d.update(b"idmap conflict v1\0");
    d.update(partner.as_bytes());
    d.update(b"\0");
    match &c.patient_ref {
        Some(r) => {
            d.update(b"r");
            d.update(r.as_str().as_bytes());
        }
        None => d.update(b"-"),
    }
    d.update(b"\0");
    for u in &c.candidates {
        d.update(u.as_bytes());
    }
    d.finalize().into()
}

/// Records conflicts, skipping those already recorded.
pub fn insert_new(
    conn: &mut DbConnection,
    partner: &str,
    new: &[Conflict],
    now: i64,
) -> Result<(), StorageError> {
    for chunk in new.chunks(rows_per_insert(8)) {
        let rows: Vec<NewRow> = chunk
            .iter()
            .map(|c| NewRow {
                dedupe_key: dedupe_key(partner, c).to_vec(),
                partner: partner.to_owned(),
                patient_ref: c.patient_ref.as_ref().map(|r| r.as_str().to_owned()),
                uuid: c.chosen.as_bytes().to_vec(),
                candidates: c.candidates.iter().flat_map(|u| *u.as_bytes()).collect(),
                status: "open",
                created_at: now,
                resolved_at: None,
            })
            .collect();
        insert_ignoring_duplicates(conn, &rows)?;
    }
    Ok(())
}

/// The one backend-specific statement here: "insert unless the key exists".
fn insert_ignoring_duplicates(
    conn: &mut DbConnection,
    rows: &[NewRow],
) -> Result<(), StorageError> {
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_or_ignore_into(conflicts::table)
                .values(rows)
                .execute(c)?;
        }
        DbConnection::Mysql(c) => {
            diesel::insert_or_ignore_into(conflicts::table)
                .values(rows)
                .execute(c)?;
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(conflicts::table)
                .values(rows)
                .on_conflict(conflicts::dedupe_key)
                .do_nothing()
                .execute(c)?;
        }
    }
    Ok(())
}
