//! Merging UUID A into B, and what an admin sees of a UUID afterwards.
//!
//! A merge does not rewrite `bindings` or `patient_refs`: their rows keep
//! the UUID they were written with (the history stays readable), and
//! `uuids.merged_into` aliases A to its survivor, which every reader
//! resolves (lookups, links, rule 5's "partner already holds U" check
//! through [`super::uuids::members`]). Rewriting rows instead would race
//! with a link transaction that read A as live and inserts rows for it
//! after the merge committed; an alias covers those rows too.
//!
//! Aliases always point straight at a survivor: merging A also repoints the
//! UUIDs merged into A before. The rows involved are locked (a no-op update)
//! before they are read, so concurrent merges serialize and cannot build a
//! cycle; a deadlock between two of them is retried by the storage layer.

use diesel::prelude::*;
use idmap_common::LinkUuid;
use idmap_storage::{Database, DbConnection, StorageError};
use serde::Serialize;

use super::audit::{self, Actor};
use super::bindings::corrupt;
use super::insert_rows;
use super::schema::{bindings, merges, patient_refs, uuids};
use crate::domain::linkage::LinkCounts;
use crate::domain::merge::{self, MergeRefusal};
use idmap_common::clock::now_unix;

/// Longest chain followed from a merge target; aliases are kept flat, so
/// this only bounds damage from rows edited by hand.
const MAX_HOPS: usize = 64;

/// A merge that was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    pub from: LinkUuid,
    /// The survivor `from` now answers.
    pub into: LinkUuid,
    /// The UUID the admin named.
    pub requested_into: LinkUuid,
    pub merged_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = merges)]
struct NewRow<'a> {
    from_uuid: &'a [u8],
    into_uuid: &'a [u8],
    requested_into: &'a [u8],
    merged_by: &'a str,
    request_id: &'a str,
    merged_at: i64,
}

/// Merges `from` into `into` (followed to its survivor) in one audited
/// transaction, or answers why not.
pub async fn merge(
    db: &Database,
    from: LinkUuid,
    into: LinkUuid,
    actor: Actor,
) -> Result<Result<Merged, MergeRefusal>, StorageError> {
    db.transaction(move |c| merge_in(c, from, into, &actor))
        .await
}

fn merge_in(
    c: &mut DbConnection,
    from: LinkUuid,
    into: LinkUuid,
    actor: &Actor,
) -> Result<Result<Merged, MergeRefusal>, StorageError> {
    if from == into {
        return Ok(Err(MergeRefusal::SameUuid));
    }
    let mut pair = [from, into];
    pair.sort_unstable();
    for u in pair {
        lock(c, u)?;
    }
    let Some(from_alias) = alias_of(c, from)? else {
        return Ok(Err(MergeRefusal::Unknown(from)));
    };
    let mut survivor = into;
    for hop in 0..=MAX_HOPS {
        match alias_of(c, survivor)? {
            None => return Ok(Err(MergeRefusal::Unknown(survivor))),
            Some(None) => break,
            Some(Some(_)) if hop == MAX_HOPS => return Ok(Err(MergeRefusal::Cycle)),
            Some(Some(next)) => {
                lock(c, next)?;
                survivor = next;
            }
        }
    }
    let survivor = match merge::decide(from, into, from_alias, survivor) {
        Ok(s) => s,
        Err(refused) => return Ok(Err(refused)),
    };
    let at = now_unix();
    diesel::update(
        uuids::table.filter(
            uuids::uuid
                .eq(from.as_bytes().as_slice())
                .or(uuids::merged_into.eq(from.as_bytes().as_slice())),
        ),
    )
    .set(uuids::merged_into.eq(survivor.as_bytes().as_slice()))
    .execute(c)?;
    let row = NewRow {
        from_uuid: from.as_bytes(),
        into_uuid: survivor.as_bytes(),
        requested_into: into.as_bytes(),
        merged_by: &actor.client_id,
        request_id: &actor.request_id,
        merged_at: at,
    };
    insert_rows::<_, NewRow<'_>>(c, merges::table, std::slice::from_ref(&row))?;
    let detail = if survivor == into {
        format!(
            "merged {} into {}",
            from.hyphenated(),
            survivor.hyphenated()
        )
    } else {
        format!(
            "merged {} into {} (requested {}, itself merged)",
            from.hyphenated(),
            survivor.hyphenated(),
            into.hyphenated()
        )
    };
    let entry = audit::NewEntry {
        action: "merge",
        partner: None,
        actor,
        counts: LinkCounts::default(),
        detail: Some(detail),
    };
    audit::append(c, &entry, at)?;
    Ok(Ok(Merged {
        from,
        into: survivor,
        requested_into: into,
        merged_at: at,
    }))
}

/// Takes the row lock of a `uuids` row (a no-op update), so that whatever
/// this transaction reads of it next is what concurrent merges wait for.
fn lock(c: &mut DbConnection, u: LinkUuid) -> Result<(), StorageError> {
    diesel::update(uuids::table.filter(uuids::uuid.eq(u.as_bytes().as_slice())))
        .set(uuids::created_at.eq(uuids::created_at))
        .execute(c)?;
    Ok(())
}

/// `None` when `u` is not stored; `Some(alias)` otherwise.
fn alias_of(c: &mut DbConnection, u: LinkUuid) -> Result<Option<Option<LinkUuid>>, StorageError> {
    let row: Option<Option<Vec<u8>>> = uuids::table
        .filter(uuids::uuid.eq(u.as_bytes().as_slice()))
        .select(uuids::merged_into)
        .first(c)
        .optional()?;
    row.map(|alias| {
        alias
            .map(|a| LinkUuid::from_slice(&a).ok_or_else(|| corrupt("uuids.merged_into")))
            .transpose()
    })
    .transpose()
}

/// What an admin sees of one UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UuidInfo {
    pub uuid: String,
    /// The UUID lookups and links answer for it.
    pub survivor: String,
    pub merged: bool,
    /// UUIDs merged into the survivor.
    pub merged_from: Vec<String>,
    /// Hashes bound to the survivor or to a UUID merged into it.
    pub hashes: i64,
    /// Partner refs answering the survivor.
    pub refs: i64,
}

/// The survivor of `u` and its counts; `None` when `u` is not stored.
pub async fn info(db: &Database, u: LinkUuid) -> Result<Option<UuidInfo>, StorageError> {
    db.run(move |c| {
        let Some(alias) = alias_of(c, u)? else {
            return Ok(None);
        };
        let survivor = alias.unwrap_or(u);
        let members = super::uuids::members(c, &[survivor])?;
        let mut all: Vec<Vec<u8>> = vec![survivor.as_bytes().to_vec()];
        all.extend(members.iter().map(|(m, _)| m.as_bytes().to_vec()));
        let hashes: i64 = bindings::table
            .filter(bindings::uuid.eq_any(&all))
            .count()
            .get_result(c)?;
        let refs: i64 = patient_refs::table
            .filter(patient_refs::uuid.eq_any(&all))
            .count()
            .get_result(c)?;
        Ok(Some(UuidInfo {
            uuid: u.hyphenated(),
            survivor: survivor.hyphenated(),
            merged: alias.is_some(),
            merged_from: members.iter().map(|(m, _)| m.hyphenated()).collect(),
            hashes,
            refs,
        }))
    })
    .await
}
