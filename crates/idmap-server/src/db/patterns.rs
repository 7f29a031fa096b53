//! The `agreement_patterns` table: how often each pattern of rule
//! agreement was seen between a patient and a candidate UUID, the input of
//! the EM estimate of the rules' weights. Patterns are few (one per
//! combination of rules that agree and disagree), so each request adds to
//! a handful of rows.

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use idmap_storage::{DbConnection, StorageError};
use sha2::{Digest, Sha256};

use super::schema::agreement_patterns as ap;
use super::{insert_rows, load_chunked};

#[derive(Insertable)]
#[diesel(table_name = ap)]
struct NewRow<'a> {
    pattern_key: Vec<u8>,
    pattern: &'a str,
    comparisons: i64,
}

fn key(pattern: &str) -> Vec<u8> {
    Sha256::digest(pattern.as_bytes()).to_vec()
}

/// Adds the counts of `seen` (pattern text to count).
pub fn add(conn: &mut DbConnection, seen: &BTreeMap<String, u64>) -> Result<(), StorageError> {
    if seen.is_empty() {
        return Ok(());
    }
    let keyed: Vec<(Vec<u8>, &str, i64)> = seen
        .iter()
        .map(|(p, n)| (key(p), p.as_str(), i64::try_from(*n).unwrap_or(i64::MAX)))
        .collect();
    let found: Vec<Vec<u8>> = load_chunked(conn, &keyed, |chunk| {
        let keys: Vec<&[u8]> = chunk.iter().map(|(k, _, _)| k.as_slice()).collect();
        ap::table
            .filter(ap::pattern_key.eq_any(keys))
            .select(ap::pattern_key)
    })?;
    let existing: HashSet<Vec<u8>> = found.into_iter().collect();
    let mut new = Vec::new();
    for (k, pattern, n) in &keyed {
        if existing.contains(k) {
            diesel::update(ap::table.filter(ap::pattern_key.eq(k)))
                .set(ap::comparisons.eq(ap::comparisons + *n))
                .execute(conn)?;
        } else {
            new.push(NewRow {
                pattern_key: k.clone(),
                pattern,
                comparisons: *n,
            });
        }
    }
    insert_rows::<_, NewRow<'_>>(conn, ap::table, &new)?;
    Ok(())
}

/// Every pattern and its count.
pub fn load_all(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, StorageError> {
    Ok(ap::table
        .select((ap::pattern, ap::comparisons))
        .load(conn)?)
}
