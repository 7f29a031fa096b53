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

/// A recorded conflict as admins read it; UUIDs hyphenated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ConflictView {
    pub id: i64,
    pub partner: String,
    #[serde(rename = "ref")]
    pub patient_ref: Option<String>,
    /// The UUID the patient was answered with.
    pub chosen: String,
    /// Every UUID involved, as recorded.
    pub candidates: Vec<String>,
    /// The candidates after merges, distinct: one entry means a merge
    /// settled the conflict and it can be resolved.
    pub candidates_now: Vec<String>,
    pub status: String,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

/// A stored conflict as read (every column but the dedupe key).
#[derive(Queryable, Selectable)]
#[diesel(table_name = conflicts)]
struct Row {
    id: i64,
    partner: String,
    patient_ref: Option<String>,
    uuid: Vec<u8>,
    candidates: Vec<u8>,
    status: String,
    created_at: i64,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
    resolution: Option<String>,
}

/// Conflicts of `status` with an id above `after`, oldest first.
pub fn page(
    conn: &mut DbConnection,
    status: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ConflictView>, StorageError> {
    let rows: Vec<Row> = conflicts::table
        .filter(conflicts::status.eq(status))
        .filter(conflicts::id.gt(after))
        .order(conflicts::id.asc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    views(conn, rows)
}

/// One conflict by id.
pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<ConflictView>, StorageError> {
    let rows: Vec<Row> = conflicts::table
        .filter(conflicts::id.eq(id))
        .select(Row::as_select())
        .load(conn)?;
    Ok(views(conn, rows)?.pop())
}

/// Marks an open conflict resolved; `false` when it was not open.
pub fn resolve(
    conn: &mut DbConnection,
    id: i64,
    by: &str,
    note: Option<&str>,
    now: i64,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        conflicts::table
            .filter(conflicts::id.eq(id))
            .filter(conflicts::status.eq("open")),
    )
    .set((
        conflicts::status.eq("resolved"),
        conflicts::resolved_at.eq(Some(now)),
        conflicts::resolved_by.eq(Some(by)),
        conflicts::resolution.eq(note),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

fn views(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<ConflictView>, StorageError> {
    use idmap_common::LinkUuid;

    use super::bindings::corrupt;
    let decode = |b: &[u8]| LinkUuid::from_slice(b).ok_or_else(|| corrupt("conflicts.uuid"));
    let mut all = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        let chosen = decode(&row.uuid)?;
        let candidates = row
            .candidates
            .chunks(16)
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        all.push(chosen);
        all.extend(candidates.iter().copied());
        parsed.push((row, chosen, candidates));
    }
    all.sort_unstable();
    all.dedup();
    let aliases = super::uuids::aliases(conn, &all)?;
    Ok(parsed
        .into_iter()
        .map(|(row, chosen, candidates)| {
            let mut now: Vec<LinkUuid> = candidates
                .iter()
                .map(|u| *aliases.get(u).unwrap_or(u))
                .collect();
            now.sort_unstable();
            now.dedup();
            ConflictView {
                id: row.id,
                partner: row.partner,
                patient_ref: row.patient_ref,
                chosen: chosen.hyphenated(),
                candidates: candidates.iter().map(LinkUuid::hyphenated).collect(),
                candidates_now: now.iter().map(LinkUuid::hyphenated).collect(),
                status: row.status,
                created_at: row.created_at,
                resolved_at: row.resolved_at,
                resolved_by: row.resolved_by,
                resolution: row.resolution,
            }
        })
        .collect())
}
