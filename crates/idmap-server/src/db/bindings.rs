//! The `bindings` table: hash to UUID, bound once (the hash is the primary
//! key, so rule 1 is a database guarantee), with the ambiguous flag of rule 5.

use diesel::prelude::*;
use idmap_common::{LinkUuid, Sha256Hash};
use idmap_storage::{DbConnection, StorageError};

use super::schema::bindings;
use super::{Column, Columns, MAX_PARAMS, insert_columns, key_in, load_chunked, rows_per_insert};
use crate::domain::linkage::NewBinding;

/// A stored binding as read back (UUID not yet resolved through aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBinding {
    pub hash: Sha256Hash,
    pub uuid: LinkUuid,
    pub ambiguous: bool,
}

#[derive(Insertable)]
#[diesel(table_name = bindings, treat_none_as_default_value = false)]
struct NewRow<'a> {
    hash: &'a [u8],
    uuid: &'a [u8],
    rule: Option<&'a str>,
    partner: &'a str,
    ambiguous: bool,
    created_at: i64,
}

impl<'a> Columns<'a> for NewRow<'a> {
    const INTO: &'static str = "bindings (hash, uuid, rule, partner, ambiguous, created_at)";

    fn columns(rows: &'a [Self]) -> Vec<Column<'a>> {
        vec![
            Column::Binary(rows.iter().map(|r| r.hash).collect()),
            Column::Binary(rows.iter().map(|r| r.uuid).collect()),
            Column::NullableText(rows.iter().map(|r| r.rule).collect()),
            Column::Text(rows.iter().map(|r| r.partner).collect()),
            Column::Bool(rows.iter().map(|r| r.ambiguous).collect()),
            Column::BigInt(rows.iter().map(|r| r.created_at).collect()),
        ]
    }
}

/// Bindings of `hashes` that exist, in no particular order.
pub fn load(
    conn: &mut DbConnection,
    hashes: &[Sha256Hash],
) -> Result<Vec<StoredBinding>, StorageError> {
    let rows: Vec<(Vec<u8>, Vec<u8>, bool)> = load_chunked(conn, hashes, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|h| h.as_bytes().as_slice()).collect();
        bindings::table
            .filter(key_in(bindings::hash, keys, ExpressionMethods::eq_any))
            .select((bindings::hash, bindings::uuid, bindings::ambiguous))
    })?;
    rows.into_iter()
        .map(|(hash, uuid, ambiguous)| {
            Ok(StoredBinding {
                hash: Sha256Hash::from_slice(&hash).ok_or_else(|| corrupt("bindings.hash"))?,
                uuid: LinkUuid::from_slice(&uuid).ok_or_else(|| corrupt("bindings.uuid"))?,
                ambiguous,
            })
        })
        .collect()
}

/// Inserts new bindings in batches (`insert_columns`); a hash bound meanwhile
/// by another transaction fails the insert, and the transaction is retried.
pub fn insert(
    conn: &mut DbConnection,
    partner: &str,
    new: &[NewBinding],
    now: i64,
) -> Result<(), StorageError> {
    // Concurrent requests lock the keys they insert in one order (by hash),
    // so two that share hashes queue instead of deadlocking (InnoDB).
    let mut new: Vec<&NewBinding> = new.iter().collect();
    new.sort_unstable_by_key(|b| b.hash);
    for chunk in new.chunks(rows_per_insert(6)) {
        let rows: Vec<NewRow<'_>> = chunk
            .iter()
            .map(|b| NewRow {
                hash: b.hash.as_bytes(),
                uuid: b.uuid.as_bytes(),
                rule: b.rule.as_ref().map(|r| r.as_str()),
                partner,
                ambiguous: b.ambiguous,
                created_at: now,
            })
            .collect();
        insert_columns::<_, NewRow<'_>>(conn, bindings::table, &rows)?;
    }
    Ok(())
}

/// A binding carried over from the older system: no rule, its own partner
/// and time.
#[derive(Debug, Clone)]
pub struct Imported {
    pub hash: Sha256Hash,
    pub uuid: LinkUuid,
    pub partner: String,
    pub created_at: i64,
}

/// Inserts imported bindings in batches (`insert_columns`).
pub fn insert_imported(conn: &mut DbConnection, rows: &[Imported]) -> Result<(), StorageError> {
    for chunk in rows.chunks(rows_per_insert(6)) {
        let rows: Vec<NewRow<'_>> = chunk
            .iter()
            .map(|b| NewRow {
                hash: b.hash.as_bytes(),
                uuid: b.uuid.as_bytes(),
                rule: None,
                partner: &b.partner,
                ambiguous: false,
                created_at: b.created_at,
            })
            .collect();
        insert_columns::<_, NewRow<'_>>(conn, bindings::table, &rows)?;
    }
    Ok(())
}

/// Marks existing bindings ambiguous (rule 5); their UUID is kept.
pub fn mark_ambiguous(conn: &mut DbConnection, hashes: &[Sha256Hash]) -> Result<(), StorageError> {
    for chunk in hashes.chunks(MAX_PARAMS) {
        let keys: Vec<&[u8]> = chunk.iter().map(|h| h.as_bytes().as_slice()).collect();
        diesel::update(bindings::table.filter(bindings::hash.eq_any(keys)))
            .set(bindings::ambiguous.eq(true))
            .execute(conn)?;
    }
    Ok(())
}

pub(crate) fn corrupt(column: &str) -> StorageError {
    StorageError::Query(diesel::result::Error::DeserializationError(
        format!("{column} has the wrong length").into(),
    ))
}

/// The rule of every binding of `ids` (raw UUIDs, not resolved).
pub fn rules_of(
    conn: &mut DbConnection,
    ids: &[LinkUuid],
) -> Result<Vec<(LinkUuid, String)>, StorageError> {
    let rows: Vec<(Vec<u8>, Option<String>)> = load_chunked(conn, ids, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|u| u.as_bytes().as_slice()).collect();
        bindings::table
            .filter(bindings::uuid.eq_any(keys))
            .filter(bindings::rule.is_not_null())
            .select((bindings::uuid, bindings::rule))
            .distinct()
    })?;
    let mut out = Vec::new();
    for (uuid, rule) in rows {
        let uuid = LinkUuid::from_slice(&uuid).ok_or_else(|| corrupt("bindings.uuid"))?;
        if let Some(rule) = rule {
            out.push((uuid, rule));
        }
    }
    Ok(out)
}
