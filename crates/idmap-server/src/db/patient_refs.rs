//! The `patient_refs` table: a partner's own patient id and the UUID it was
//! answered with (rule 2), and which refs hold a UUID (rule 5).

use diesel::prelude::*;
use idmap_common::LinkUuid;
use idmap_common::ids::PatientRef;
use idmap_storage::{DbConnection, StorageError};

use super::bindings::corrupt;
use super::schema::patient_refs;
use super::{Column, Columns, insert_columns, key_in, load_chunked, rows_per_insert};

#[derive(Insertable)]
#[diesel(table_name = patient_refs)]
struct NewRow<'a> {
    partner: &'a str,
    patient_ref: &'a str,
    uuid: &'a [u8],
    created_at: i64,
}

impl<'a> Columns<'a> for NewRow<'a> {
    const INTO: &'static str = "patient_refs (partner, patient_ref, uuid, created_at)";

    fn columns(rows: &'a [Self]) -> Vec<Column<'a>> {
        vec![
            Column::Text(rows.iter().map(|r| r.partner).collect()),
            Column::Text(rows.iter().map(|r| r.patient_ref).collect()),
            Column::Binary(rows.iter().map(|r| r.uuid).collect()),
            Column::BigInt(rows.iter().map(|r| r.created_at).collect()),
        ]
    }
}

/// The partner's UUID for each of `refs` that exists.
pub fn by_refs(
    conn: &mut DbConnection,
    partner: &str,
    refs: &[&PatientRef],
) -> Result<Vec<(PatientRef, LinkUuid)>, StorageError> {
    let rows: Vec<(String, Vec<u8>)> = load_chunked(conn, refs, |chunk| {
        let keys: Vec<&str> = chunk.iter().map(|r| r.as_str()).collect();
        patient_refs::table
            .filter(patient_refs::partner.eq(partner))
            .filter(key_in(
                patient_refs::patient_ref,
                keys,
                ExpressionMethods::eq_any,
            ))
            .select((patient_refs::patient_ref, patient_refs::uuid))
    })?;
    rows.into_iter().map(decode).collect()
}

/// The refs under which the partner holds any of `ids`.
pub fn holding(
    conn: &mut DbConnection,
    partner: &str,
    ids: &[LinkUuid],
) -> Result<Vec<(PatientRef, LinkUuid)>, StorageError> {
    let rows: Vec<(String, Vec<u8>)> = load_chunked(conn, ids, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|u| u.as_bytes().as_slice()).collect();
        patient_refs::table
            .filter(patient_refs::partner.eq(partner))
            .filter(key_in(patient_refs::uuid, keys, ExpressionMethods::eq_any))
            .select((patient_refs::patient_ref, patient_refs::uuid))
    })?;
    rows.into_iter().map(decode).collect()
}

/// Records new (partner, ref) pairs; a pair recorded meanwhile by another
/// transaction fails the insert, and the transaction is retried.
pub fn insert(
    conn: &mut DbConnection,
    partner: &str,
    new: &[(PatientRef, LinkUuid)],
    now: i64,
) -> Result<(), StorageError> {
    for chunk in new.chunks(rows_per_insert(4)) {
        let rows: Vec<NewRow<'_>> = chunk
            .iter()
            .map(|(r, u)| NewRow {
                partner,
                patient_ref: r.as_str(),
                uuid: u.as_bytes(),
                created_at: now,
            })
            .collect();
        insert_columns::<_, NewRow<'_>>(conn, patient_refs::table, &rows)?;
    }
    Ok(())
}

fn decode((r, uuid): (String, Vec<u8>)) -> Result<(PatientRef, LinkUuid), StorageError> {
    let r = PatientRef::parse(&r).map_err(|_| corrupt("patient_refs.patient_ref"))?;
    let uuid = LinkUuid::from_slice(&uuid).ok_or_else(|| corrupt("patient_refs.uuid"))?;
    Ok((r, uuid))
}
