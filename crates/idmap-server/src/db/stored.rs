//! The read that answers a request the registry already holds in full (see
//! [`crate::domain::stored`]) from one read transaction, without a write
//! and without an audit row (nothing changed), so that retries succeed
//! while the database cannot write. [`super::link::link`] asks it first.

use diesel::Connection;
use idmap_common::LinkUuid;
use idmap_storage::{DbConnection, StorageError};

use super::{bindings, link, patient_refs};
use crate::domain::linkage::{self, Patient};
use crate::domain::stored;

/// The answers when every patient is stored; `None` as soon as one read
/// shows that linking could store something.
pub fn held(
    conn: &mut DbConnection,
    partner: &str,
    patients: &[Patient],
) -> Result<Option<Vec<LinkUuid>>, StorageError> {
    if first_is_new(conn, patients)? {
        return Ok(None);
    }
    conn.transaction::<_, StorageError, _>(|c| {
        let hashes = linkage::request_hashes(patients);
        let found = bindings::load(c, &hashes)?;
        if found.len() < hashes.len() {
            return Ok(None);
        }
        let refs = linkage::request_refs(patients);
        let known_refs = patient_refs::by_refs(c, partner, &refs)?;
        if known_refs.len() < refs.len() {
            return Ok(None);
        }
        let (snapshot, _) = link::resolved(c, found, known_refs)?;
        Ok(stored::answers(patients, &snapshot))
    })
}

/// Whether a hash of the first patient is unbound, which rules the request
/// out at the cost of one small indexed read, outside a transaction: a
/// request of new patients, what a growing registry mostly receives, then
/// reads its hashes once, in the write transaction, instead of twice.
fn first_is_new(conn: &mut DbConnection, patients: &[Patient]) -> Result<bool, StorageError> {
    let hashes = linkage::request_hashes(patients.get(..1).unwrap_or_default());
    if hashes.is_empty() {
        return Ok(false);
    }
    Ok(bindings::load(conn, &hashes)?.len() < hashes.len())
}
