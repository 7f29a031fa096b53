//! The link path of `/api/v1/link` and `/api/save`: a request the registry
//! already holds in full (see [`crate::domain::stored`]) is answered from
//! one read transaction, without a write and without an audit row (nothing
//! changed), so that retries succeed while the database cannot write; any
//! other request goes to [`super::link::link`] unchanged.

use std::sync::Arc;

use diesel::Connection;
use idmap_common::LinkUuid;
use idmap_common::ids::PartnerCode;
use idmap_storage::{Database, DbConnection, StorageError};

use super::audit::Actor;
use super::{bindings, patient_refs, uuids};
use crate::domain::linkage::{self, Binding, LinkCounts, Patient, Settings, Snapshot};
use crate::domain::stored;

/// Answers `patients` of `partner` from the registry when it holds them
/// all, else links them (see [`super::link::link`]).
pub async fn link(
    db: &Database,
    partner: PartnerCode,
    patients: Vec<Patient>,
    settings: Arc<Settings>,
    action: &'static str,
    actor: Actor,
) -> Result<(Vec<LinkUuid>, LinkCounts), StorageError> {
    let reader = partner.clone();
    let (answers, patients) = db
        .run(move |conn| {
            let answers = conn.transaction(|c| held(c, reader.as_str(), &patients))?;
            Ok((answers, patients))
        })
        .await?;
    match answers {
        Some(answers) => {
            let counts = LinkCounts {
                patients: answers.len(),
                matched: answers.len(),
                ..LinkCounts::default()
            };
            Ok((answers, counts))
        }
        None => super::link::link(db, partner, patients, settings, action, actor).await,
    }
}

/// The answers when every patient is stored; stops at the first unbound
/// hash, so a request of new patients costs one query.
fn held(
    conn: &mut DbConnection,
    partner: &str,
    patients: &[Patient],
) -> Result<Option<Vec<LinkUuid>>, StorageError> {
    let hashes = linkage::request_hashes(patients);
    let found = bindings::load(conn, &hashes)?;
    if found.len() < hashes.len() {
        return Ok(None);
    }
    let refs = linkage::request_refs(patients);
    let known_refs = if refs.is_empty() {
        Vec::new()
    } else {
        patient_refs::by_refs(conn, partner, &refs)?
    };
    if known_refs.len() < refs.len() {
        return Ok(None);
    }
    let mut raw: Vec<LinkUuid> = found.iter().map(|b| b.uuid).collect();
    raw.extend(known_refs.iter().map(|(_, u)| *u));
    raw.sort_unstable();
    raw.dedup();
    // Merged UUIDs answer their survivor, as on the write path.
    let aliases = uuids::aliases(conn, &raw)?;
    let resolve = |u: LinkUuid| *aliases.get(&u).unwrap_or(&u);
    let mut snapshot = Snapshot::default();
    for b in found {
        let binding = Binding {
            uuid: resolve(b.uuid),
            ambiguous: b.ambiguous,
        };
        snapshot.bindings.insert(b.hash, binding);
    }
    for (r, u) in known_refs {
        snapshot.refs.insert(r, resolve(u));
    }
    Ok(stored::answers(patients, &snapshot))
}
