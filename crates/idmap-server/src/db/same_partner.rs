//! The tables of rule 5's within-partner cases: refs a partner declared
//! distinct, possible duplicates (two refs one UUID answers), the refs
//! under which a partner sent a hash whose UUID it holds under another ref
//! (the too-many-refs guard), and why each ambiguous hash is ambiguous.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use idmap_common::Sha256Hash;
use idmap_common::ids::PatientRef;
use idmap_storage::{Database, DbConnection, StorageError};
use serde::Serialize;

use super::bindings::corrupt;
use super::schema::{ambiguous_hashes, bindings, distinct_refs, duplicates, shared_hashes};
use super::{insert_rows, load_chunked, rows_per_insert, uuids};
use crate::domain::linkage::{Ambiguity, Duplicate};
use idmap_common::clock::now_unix;

fn parse_ref(s: &str) -> Result<PatientRef, StorageError> {
    PatientRef::parse(s).map_err(|_| corrupt("patient ref"))
}

/// Declared-distinct pairs involving any of `refs`.
pub fn distinct_pairs(
    conn: &mut DbConnection,
    partner: &str,
    refs: &[&PatientRef],
) -> Result<HashSet<(PatientRef, PatientRef)>, StorageError> {
    let rows: Vec<(String, String)> = load_chunked(conn, refs, |chunk| {
        let keys: Vec<&str> = chunk.iter().map(|r| r.as_str()).collect();
        distinct_refs::table
            .filter(distinct_refs::partner.eq(partner))
            .filter(
                distinct_refs::ref_a
                    .eq_any(keys.clone())
                    .or(distinct_refs::ref_b.eq_any(keys)),
            )
            .select((distinct_refs::ref_a, distinct_refs::ref_b))
    })?;
    rows.iter()
        .map(|(a, b)| Ok((parse_ref(a)?, parse_ref(b)?)))
        .collect()
}

/// Records that the partner's refs `pair` ([`crate::domain::linkage::ref_pair`]
/// order) are different people, and takes the pair off the duplicates
/// list; `false` when it was declared before.
pub fn declare_distinct(
    conn: &mut DbConnection,
    partner: &str,
    pair: &(PatientRef, PatientRef),
    now: i64,
) -> Result<bool, StorageError> {
    let (a, b) = (pair.0.as_str(), pair.1.as_str());
    let exists: i64 = distinct_refs::table
        .filter(distinct_refs::partner.eq(partner))
        .filter(distinct_refs::ref_a.eq(a))
        .filter(distinct_refs::ref_b.eq(b))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(distinct_refs::table)
        .values((
            distinct_refs::partner.eq(partner),
            distinct_refs::ref_a.eq(a),
            distinct_refs::ref_b.eq(b),
            distinct_refs::created_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        duplicates::table
            .filter(duplicates::partner.eq(partner))
            .filter(duplicates::ref_a.eq(a))
            .filter(duplicates::ref_b.eq(b)),
    )
    .set(duplicates::distinct_at.eq(Some(now)))
    .execute(conn)?;
    Ok(true)
}

#[derive(Insertable)]
#[diesel(table_name = duplicates, treat_none_as_default_value = false)]
struct NewDuplicate<'a> {
    partner: &'a str,
    ref_a: &'a str,
    ref_b: &'a str,
    rules: String,
    created_at: i64,
    distinct_at: Option<i64>,
}

/// Records possible duplicates, skipping pairs recorded before (the rule
/// codes of the first record stay).
pub fn insert_duplicates(
    conn: &mut DbConnection,
    partner: &str,
    new: &[Duplicate],
    now: i64,
) -> Result<(), StorageError> {
    for chunk in new.chunks(rows_per_insert(6)) {
        let rows: Vec<NewDuplicate<'_>> = chunk
            .iter()
            .map(|d| NewDuplicate {
                partner,
                ref_a: d.refs.0.as_str(),
                ref_b: d.refs.1.as_str(),
                rules: d
                    .rules
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                created_at: now,
                distinct_at: None,
            })
            .collect();
        match conn {
            DbConnection::Sqlite(c) => {
                diesel::insert_or_ignore_into(duplicates::table)
                    .values(&rows)
                    .execute(c)?;
            }
            DbConnection::Mysql(c) => {
                diesel::insert_or_ignore_into(duplicates::table)
                    .values(&rows)
                    .execute(c)?;
            }
            DbConnection::Postgres(c) => {
                diesel::insert_into(duplicates::table)
                    .values(&rows)
                    .on_conflict((duplicates::partner, duplicates::ref_a, duplicates::ref_b))
                    .do_nothing()
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// A possible duplicate as its partner reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DuplicateView {
    pub id: i64,
    /// The two refs, in byte order.
    pub refs: [String; 2],
    /// Rule codes of the hashes that tied them.
    pub rules: Vec<String>,
    pub created_at: i64,
}

/// The partner's possible duplicates not declared distinct, with an id
/// above `after`, oldest first.
pub fn duplicates_page(
    conn: &mut DbConnection,
    partner: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<DuplicateView>, StorageError> {
    let rows: Vec<(i64, String, String, String, i64)> = duplicates::table
        .filter(duplicates::partner.eq(partner))
        .filter(duplicates::distinct_at.is_null())
        .filter(duplicates::id.gt(after))
        .order(duplicates::id.asc())
        .limit(limit)
        .select((
            duplicates::id,
            duplicates::ref_a,
            duplicates::ref_b,
            duplicates::rules,
            duplicates::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, a, b, rules, created_at)| DuplicateView {
            id,
            refs: [a, b],
            rules: rules
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at,
        })
        .collect())
}

/// Per hash among `hashes`, the refs recorded by [`insert_shared`].
pub fn shared(
    conn: &mut DbConnection,
    partner: &str,
    hashes: &[Sha256Hash],
) -> Result<HashMap<Sha256Hash, HashSet<PatientRef>>, StorageError> {
    let rows: Vec<(Vec<u8>, String)> = load_chunked(conn, hashes, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|h| h.as_bytes().as_slice()).collect();
        shared_hashes::table
            .filter(shared_hashes::partner.eq(partner))
            .filter(shared_hashes::hash.eq_any(keys))
            .select((shared_hashes::hash, shared_hashes::patient_ref))
    })?;
    let mut out: HashMap<Sha256Hash, HashSet<PatientRef>> = HashMap::new();
    for (h, r) in rows {
        let h = Sha256Hash::from_slice(&h).ok_or_else(|| corrupt("shared_hashes.hash"))?;
        out.entry(h).or_default().insert(parse_ref(&r)?);
    }
    Ok(out)
}

#[derive(Insertable)]
#[diesel(table_name = shared_hashes)]
struct NewShared<'a> {
    hash: &'a [u8],
    partner: &'a str,
    patient_ref: &'a str,
    created_at: i64,
}

/// Records (hash, ref) pairs new to the table.
pub fn insert_shared(
    conn: &mut DbConnection,
    partner: &str,
    new: &[(Sha256Hash, PatientRef)],
    now: i64,
) -> Result<(), StorageError> {
    for chunk in new.chunks(rows_per_insert(4)) {
        let rows: Vec<NewShared<'_>> = chunk
            .iter()
            .map(|(h, r)| NewShared {
                hash: h.as_bytes(),
                partner,
                patient_ref: r.as_str(),
                created_at: now,
            })
            .collect();
        insert_rows::<_, NewShared<'_>>(conn, shared_hashes::table, &rows)?;
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = ambiguous_hashes)]
struct NewAmbiguous<'a> {
    hash: &'a [u8],
    partner: &'a str,
    reason: &'static str,
    refs: i64,
    created_at: i64,
}

/// Records the cause of each hash made ambiguous; `partner` caused it.
pub fn insert_ambiguities(
    conn: &mut DbConnection,
    partner: &str,
    new: &[Ambiguity],
    now: i64,
) -> Result<(), StorageError> {
    for chunk in new.chunks(rows_per_insert(5)) {
        let rows: Vec<NewAmbiguous<'_>> = chunk
            .iter()
            .map(|a| NewAmbiguous {
                hash: a.hash.as_bytes(),
                partner,
                reason: a.reason.as_str(),
                refs: i64::try_from(a.refs).unwrap_or(i64::MAX),
                created_at: now,
            })
            .collect();
        insert_rows::<_, NewAmbiguous<'_>>(conn, ambiguous_hashes::table, &rows)?;
    }
    Ok(())
}

/// An ambiguous hash as admins read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AmbiguousView {
    pub id: i64,
    /// Lowercase hex.
    pub hash: String,
    /// The UUID it stays bound to (after merges); lookups still answer it.
    pub uuid: Option<String>,
    /// The partner whose submission made it ambiguous.
    pub partner: String,
    /// `refs` (held under two refs, policy `ambiguous`), `distinct` (refs
    /// declared distinct) or `too_many_refs` (the guard).
    pub reason: String,
    /// The partner's refs involved when it became ambiguous.
    pub refs: i64,
    pub created_at: i64,
}

/// Ambiguous hashes with an id above `after`, oldest first; `partner`
/// narrows to one causing partner.
pub fn ambiguous_page(
    conn: &mut DbConnection,
    partner: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<AmbiguousView>, StorageError> {
    type Row = (i64, Vec<u8>, Option<Vec<u8>>, String, String, i64, i64);
    let query = ambiguous_hashes::table
        .left_join(bindings::table.on(bindings::hash.eq(ambiguous_hashes::hash)))
        .filter(ambiguous_hashes::id.gt(after))
        .order(ambiguous_hashes::id.asc())
        .limit(limit)
        .select((
            ambiguous_hashes::id,
            ambiguous_hashes::hash,
            bindings::uuid.nullable(),
            ambiguous_hashes::partner,
            ambiguous_hashes::reason,
            ambiguous_hashes::refs,
            ambiguous_hashes::created_at,
        ));
    let rows: Vec<Row> = match partner {
        Some(p) => query.filter(ambiguous_hashes::partner.eq(p)).load(conn)?,
        None => query.load(conn)?,
    };
    let mut raw = Vec::new();
    for row in &rows {
        if let Some(u) = &row.2 {
            raw.push(
                idmap_common::LinkUuid::from_slice(u).ok_or_else(|| corrupt("bindings.uuid"))?,
            );
        }
    }
    raw.sort_unstable();
    raw.dedup();
    let aliases = uuids::aliases(conn, &raw)?;
    rows.into_iter()
        .map(|(id, hash, uuid, partner, reason, refs, created_at)| {
            let hash =
                Sha256Hash::from_slice(&hash).ok_or_else(|| corrupt("ambiguous_hashes.hash"))?;
            let uuid = uuid
                .and_then(|u| idmap_common::LinkUuid::from_slice(&u))
                .map(|u| aliases.get(&u).unwrap_or(&u).hyphenated());
            Ok(AmbiguousView {
                id,
                hash: hash.to_hex(),
                uuid,
                partner,
                reason,
                refs,
                created_at,
            })
        })
        .collect()
}

/// The partner's possible duplicates, one page.
pub async fn duplicates_for(
    db: &Database,
    partner: String,
    after: i64,
    limit: i64,
) -> Result<Vec<DuplicateView>, StorageError> {
    db.run(move |c| duplicates_page(c, &partner, after, limit))
        .await
}

/// Declares two of the partner's refs distinct; `false` when they were
/// declared before.
pub async fn declare(
    db: &Database,
    partner: String,
    pair: (PatientRef, PatientRef),
) -> Result<bool, StorageError> {
    db.transaction(move |c| declare_distinct(c, &partner, &pair, now_unix()))
        .await
}
