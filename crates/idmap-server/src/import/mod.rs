//! `idmap-server import-legacy`: loads the older system's MySQL `linkage`
//! table (`linkage_hash` BINARY(32), `linkage_uuid` BINARY(16), a partner
//! column, optionally `linkage_added_at`) into our schema with the same
//! UUIDs, so partners keep their identifiers.
//!
//! Each batch is one transaction on our database (with an audit entry):
//! UUIDs that are missing are stored, hashes that are unbound are bound
//! (rule NULL, the row's partner). A hash bound to the same UUID already is
//! skipped, so re-running imports nothing twice; a hash bound to a
//! different UUID is refused and reported, never overwritten (rule 1).

pub mod source;

use std::collections::{HashMap, HashSet};

use diesel::{Connection, MysqlConnection};
use idmap_common::ids::PartnerCode;
use idmap_common::{LinkUuid, Sha256Hash};
use idmap_storage::{Database, StorageError};
use serde::Serialize;

use crate::db::audit::{self, Actor};
use crate::db::bindings::{self, Imported};
use crate::db::uuids;
use crate::domain::linkage::LinkCounts;
use idmap_common::clock::now_unix;
use source::{LegacyRow, SourceTable};

/// Refusals listed in the summary; the rest are only counted.
const MAX_LISTED: usize = 100;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the legacy database: {0}")]
    Source(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Target(#[from] StorageError),
}

/// Options of `import-legacy`; see `docs/migrating-from-legacy.md`.
#[derive(Debug, Clone)]
pub struct Options {
    pub table: String,
    pub hash_column: String,
    pub uuid_column: String,
    /// Found among `source::PARTNER_COLUMNS` when `None`.
    pub partner_column: Option<String>,
    /// For rows without a partner (or a table without the column).
    pub partner: Option<PartnerCode>,
    pub batch_size: usize,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Refused {
    /// Lowercase hex of the hash, for the operator to investigate.
    pub hash: String,
    pub legacy_uuid: Option<String>,
    pub bound_uuid: Option<String>,
    pub reason: &'static str,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub rows_read: u64,
    pub bindings_imported: u64,
    pub uuids_imported: u64,
    pub already_present: u64,
    pub refused_total: u64,
    /// The first refusals (at most 100).
    pub refused: Vec<Refused>,
}

impl Summary {
    fn refuse(&mut self, r: Refused) {
        self.refused_total += 1;
        if self.refused.len() < MAX_LISTED {
            self.refused.push(r);
        }
    }
}

/// Runs the import from `source_url` (a `mysql://` URL) into `target`.
pub async fn import_legacy(
    source_url: String,
    target: &Database,
    opts: Options,
    actor: Actor,
) -> Result<Summary, ImportError> {
    let (mut conn, src) = tokio::task::spawn_blocking({
        let opts = opts.clone();
        move || open_source(&source_url, &opts)
    })
    .await
    .map_err(|e| ImportError::Source(e.to_string()))??;
    let mut summary = Summary::default();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let (back, rows) = tokio::task::spawn_blocking({
            let (src, after, limit) = (src.clone(), after.clone(), opts.batch_size.max(1));
            move || {
                let rows = source::batch(&mut conn, &src, after.as_deref(), limit);
                (conn, rows)
            }
        })
        .await
        .map_err(|e| ImportError::Source(e.to_string()))?;
        conn = back;
        let rows = rows.map_err(|e| ImportError::Source(e.to_string()))?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.h.clone());
        summary.rows_read += rows.len() as u64;
        let valid = parse_rows(rows, opts.partner.as_ref(), &mut summary);
        let done = import_batch(target, valid, actor.clone()).await?;
        summary.bindings_imported += done.bindings;
        summary.uuids_imported += done.uuids;
        summary.already_present += done.present;
        for r in done.refused {
            summary.refuse(r);
        }
        tracing::info!(
            rows = summary.rows_read,
            imported = summary.bindings_imported,
            "legacy import progress"
        );
    }
    if summary.bindings_imported > 0 {
        target.refresh_statistics(crate::db::LINKAGE_TABLES).await?;
    }
    Ok(summary)
}

fn open_source(url: &str, opts: &Options) -> Result<(MysqlConnection, SourceTable), ImportError> {
    if !url.starts_with("mysql://") {
        return Err(ImportError::Config("--from must be a mysql:// URL".into()));
    }
    for name in [&opts.table, &opts.hash_column, &opts.uuid_column]
        .into_iter()
        .chain(opts.partner_column.as_ref())
    {
        if !source::is_identifier(name) {
            return Err(ImportError::Config(format!(
                "{name:?} is not a plain SQL name"
            )));
        }
    }
    let mut conn =
        MysqlConnection::establish(url).map_err(|e| ImportError::Source(e.to_string()))?;
    let columns: HashMap<String, String> = source::columns(&mut conn, &opts.table)
        .map_err(|e| ImportError::Source(e.to_string()))?
        .into_iter()
        .collect();
    if columns.is_empty() {
        return Err(ImportError::Config(format!(
            "table {} not found",
            opts.table
        )));
    }
    for c in [&opts.hash_column, &opts.uuid_column] {
        if !columns.contains_key(c) {
            return Err(ImportError::Config(format!(
                "column {c} not found in {}",
                opts.table
            )));
        }
    }
    let partner_column = match &opts.partner_column {
        Some(c) if columns.contains_key(c) => Some(c.clone()),
        Some(c) => {
            return Err(ImportError::Config(format!(
                "column {c} not found in {}",
                opts.table
            )));
        }
        None => source::PARTNER_COLUMNS
            .iter()
            .find(|c| columns.contains_key(**c))
            .map(|c| (*c).to_owned()),
    };
    if partner_column.is_none() && opts.partner.is_none() {
        return Err(ImportError::Config(
            "the table has no partner column; name it with --partner-column or give --partner"
                .into(),
        ));
    }
    let added_at_column = columns
        .get(source::ADDED_AT_COLUMN)
        .and_then(|kind| source::time_kind(kind))
        .map(|k| (source::ADDED_AT_COLUMN.to_owned(), k));
    let src = SourceTable {
        table: opts.table.clone(),
        hash_column: opts.hash_column.clone(),
        uuid_column: opts.uuid_column.clone(),
        partner_column,
        added_at_column,
    };
    Ok((conn, src))
}

/// Rows with a well-formed hash, UUID and partner; the rest are refused.
fn parse_rows(
    rows: Vec<LegacyRow>,
    fallback: Option<&PartnerCode>,
    summary: &mut Summary,
) -> Vec<Imported> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let hash = Sha256Hash::from_slice(&row.h);
        let uuid = LinkUuid::from_slice(&row.u);
        let partner = row
            .p
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PartnerCode::parse)
            .or_else(|| fallback.cloned().map(Ok));
        match (hash, uuid, partner) {
            (Some(hash), Some(uuid), Some(Ok(partner))) => out.push(Imported {
                hash,
                uuid,
                partner: partner.as_str().to_owned(),
                created_at: row.t.unwrap_or_else(now_unix),
            }),
            (hash, uuid, partner) => summary.refuse(Refused {
                hash: hash.map_or_else(|| hex::encode(&row.h), |h| h.to_hex()),
                legacy_uuid: uuid.map(|u| u.hyphenated()),
                bound_uuid: None,
                reason: match (hash, uuid, partner) {
                    (None, _, _) => "hash is not 32 bytes",
                    (_, None, _) => "uuid is not 16 bytes",
                    (_, _, None) => "no partner (give --partner)",
                    _ => "partner is not a valid partner code",
                },
            }),
        }
    }
    out
}

struct BatchDone {
    bindings: u64,
    uuids: u64,
    present: u64,
    refused: Vec<Refused>,
}

/// One batch in one audited transaction on our database.
async fn import_batch(
    db: &Database,
    rows: Vec<Imported>,
    actor: Actor,
) -> Result<BatchDone, StorageError> {
    let rows = std::sync::Arc::new(rows);
    db.transaction(move |c| {
        let hashes: Vec<Sha256Hash> = rows.iter().map(|r| r.hash).collect();
        let bound: HashMap<Sha256Hash, LinkUuid> = bindings::load(c, &hashes)?
            .into_iter()
            .map(|b| (b.hash, b.uuid))
            .collect();
        let mut done = BatchDone {
            bindings: 0,
            uuids: 0,
            present: 0,
            refused: Vec::new(),
        };
        let mut new = Vec::new();
        for r in rows.iter() {
            match bound.get(&r.hash) {
                Some(u) if *u == r.uuid => done.present += 1,
                Some(u) => done.refused.push(Refused {
                    hash: r.hash.to_hex(),
                    legacy_uuid: Some(r.uuid.hyphenated()),
                    bound_uuid: Some(u.hyphenated()),
                    reason: "hash is bound to a different UUID already",
                }),
                None => new.push(r.clone()),
            }
        }
        let mut ids: Vec<LinkUuid> = new.iter().map(|r| r.uuid).collect();
        ids.sort_unstable();
        ids.dedup();
        let existing = uuids::existing(c, &ids)?;
        let missing: Vec<LinkUuid> = ids.into_iter().filter(|u| !existing.contains(u)).collect();
        uuids::insert(c, &missing, now_unix())?;
        bindings::insert_imported(c, &new)?;
        done.bindings = new.len() as u64;
        done.uuids = missing.len() as u64;
        let partners: HashSet<&str> = new.iter().map(|r| r.partner.as_str()).collect();
        let counts = LinkCounts {
            patients: rows.len(),
            new_uuids: missing.len(),
            matched: usize::try_from(done.present).unwrap_or(usize::MAX),
            conflicts: done.refused.len(),
            ambiguous: 0,
            unidentified: 0,
        };
        let entry = audit::NewEntry {
            action: "import_legacy",
            partner: None,
            actor: &actor,
            counts,
            detail: Some(format!(
                "{} bindings imported for {} partner(s)",
                new.len(),
                partners.len()
            )),
        };
        audit::append(c, &entry, now_unix())?;
        Ok(done)
    })
    .await
}
