//! The `uuids` table: every stored UUID, and the aliases (`merged_into`)
//! an admin merge leaves behind. Readers resolve aliases so that a merged
//! UUID answers its survivor.

use std::collections::HashMap;

use diesel::prelude::*;
use idmap_common::LinkUuid;
use idmap_storage::{DbConnection, StorageError};

use super::bindings::corrupt;
use super::schema::{merges, uuids};
use super::{Column, Columns, insert_columns, key_in, load_chunked, load_rows, rows_per_insert};

/// Longest alias chain followed; merges always point at a survivor, so
/// this only guards against a cycle written by hand.
const MAX_ALIAS_HOPS: usize = 16;

#[derive(Insertable)]
#[diesel(table_name = uuids, treat_none_as_default_value = false)]
struct NewRow<'a> {
    uuid: &'a [u8],
    created_at: i64,
    merged_into: Option<&'a [u8]>,
}

impl<'a> Columns<'a> for NewRow<'a> {
    const INTO: &'static str = "uuids (uuid, created_at, merged_into)";

    fn columns(rows: &'a [Self]) -> Vec<Column<'a>> {
        vec![
            Column::Binary(rows.iter().map(|r| r.uuid).collect()),
            Column::BigInt(rows.iter().map(|r| r.created_at).collect()),
            Column::NullableBinary(rows.iter().map(|r| r.merged_into).collect()),
        ]
    }
}

/// Which of `ids` are stored already.
pub fn existing(
    conn: &mut DbConnection,
    ids: &[LinkUuid],
) -> Result<std::collections::HashSet<LinkUuid>, StorageError> {
    let rows: Vec<Vec<u8>> = load_chunked(conn, ids, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|u| u.as_bytes().as_slice()).collect();
        uuids::table
            .filter(key_in(uuids::uuid, keys, ExpressionMethods::eq_any))
            .select(uuids::uuid)
    })?;
    rows.iter()
        .map(|r| LinkUuid::from_slice(r).ok_or_else(|| corrupt("uuids.uuid")))
        .collect()
}

/// Stores freshly minted UUIDs.
pub fn insert(conn: &mut DbConnection, new: &[LinkUuid], now: i64) -> Result<(), StorageError> {
    for chunk in new.chunks(rows_per_insert(3)) {
        let rows: Vec<NewRow<'_>> = chunk
            .iter()
            .map(|u| NewRow {
                uuid: u.as_bytes(),
                created_at: now,
                merged_into: None,
            })
            .collect();
        insert_columns::<_, NewRow<'_>>(conn, uuids::table, &rows)?;
    }
    Ok(())
}

/// The UUIDs merged into any of `survivors`, each with its survivor. Merges
/// point every alias straight at its survivor, so one hop finds them all.
pub fn members(
    conn: &mut DbConnection,
    survivors: &[LinkUuid],
) -> Result<Vec<(LinkUuid, LinkUuid)>, StorageError> {
    let mut out = Vec::new();
    if !any_merge(conn)? {
        return Ok(out);
    }
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> = load_chunked(conn, survivors, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|u| u.as_bytes().as_slice()).collect();
        uuids::table
            .filter(key_in(uuids::merged_into, keys, ExpressionMethods::eq_any))
            .select((uuids::uuid, uuids::merged_into))
    })?;
    for (m, s) in rows {
        let m = LinkUuid::from_slice(&m).ok_or_else(|| corrupt("uuids.uuid"))?;
        if let Some(s) = s.as_deref().and_then(LinkUuid::from_slice) {
            out.push((m, s));
        }
    }
    Ok(out)
}

/// Whether any merge exists. Every alias is written together with its row
/// in `merges`, so that small table answers; probing `uuids` for a set
/// `merged_into` instead left PostgreSQL, before its statistics knew the
/// column to be empty, scanning the whole table on every link. `EXISTS`,
/// not a bound `LIMIT`: SQLite re-plans a statement whose `LIMIT`
/// parameter is bound again, on every execution.
fn any_merge(conn: &mut DbConnection) -> Result<bool, StorageError> {
    let found = load_rows(
        conn,
        diesel::select(diesel::dsl::exists(merges::table.select(merges::id))),
    )?;
    Ok(found.first().copied().unwrap_or(false))
}

/// Maps each merged UUID among `ids` to its survivor; UUIDs that were
/// never merged are absent. One indexed probe when no merge exists.
pub fn aliases(
    conn: &mut DbConnection,
    ids: &[LinkUuid],
) -> Result<HashMap<LinkUuid, LinkUuid>, StorageError> {
    let mut out = HashMap::new();
    if ids.is_empty() || !any_merge(conn)? {
        return Ok(out);
    }
    let mut pending: Vec<LinkUuid> = ids.to_vec();
    let mut direct: HashMap<LinkUuid, LinkUuid> = HashMap::new();
    for _ in 0..MAX_ALIAS_HOPS {
        let mut next = Vec::new();
        let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> = load_chunked(conn, &pending, |chunk| {
            let keys: Vec<&[u8]> = chunk.iter().map(|u| u.as_bytes().as_slice()).collect();
            uuids::table
                .filter(key_in(uuids::uuid, keys, ExpressionMethods::eq_any))
                .filter(uuids::merged_into.is_not_null())
                .select((uuids::uuid, uuids::merged_into))
        })?;
        for (from, to) in rows {
            let from = LinkUuid::from_slice(&from).ok_or_else(|| corrupt("uuids.uuid"))?;
            let Some(to) = to.as_deref().and_then(LinkUuid::from_slice) else {
                continue;
            };
            if direct.insert(from, to).is_none() {
                next.push(to);
            }
        }
        if next.is_empty() {
            break;
        }
        pending = next;
    }
    for id in ids {
        let mut current = *id;
        for _ in 0..MAX_ALIAS_HOPS {
            match direct.get(&current) {
                Some(to) => current = *to,
                None => break,
            }
        }
        if current != *id {
            out.insert(*id, current);
        }
    }
    Ok(out)
}
