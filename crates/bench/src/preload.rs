//! Preloads a realistic registry straight into idmap-server's database with
//! idmap-server's own storage code (`db::uuids`, `db::bindings`,
//! `db::patient_refs`) after its migrations: patient `i` gets a UUID row,
//! two bindings (rules `F_L_D_S` and `F_L_D_Z`, partner `BENCH`) and the
//! ref `P<i>` of partner `BENCH`, exactly what a first `/api/v1/link` of
//! that patient would have stored, minus the audit entry.
//!
//! SQLite files are cached under the cache directory, keyed by size, seed
//! and format version, so reruns copy a file instead of inserting again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use idmap_common::clock::now_unix;
use idmap_common::ids::{PatientRef, RuleCode};
use idmap_server::db::{bindings, patient_refs, uuids};
use idmap_server::domain::linkage::NewBinding;
use idmap_storage::{Backend, Database, DatabaseUrl};

use crate::data;

/// Bump when the shape of preloaded data changes, so stale caches are ignored.
const FORMAT: u32 = 2;

/// Patients per transaction.
const CHUNK: u64 = 5_000;

/// Patients per SQLite transaction: without a journal every commit writes
/// each dirtied page, and random keys dirty nearly all of them.
const SQLITE_CHUNK: u64 = 500_000;

/// What to preload.
#[derive(Debug, Clone)]
pub struct Preload {
    pub database_url: String,
    /// Stored hashes wanted (two per patient).
    pub hashes: u64,
    pub seed: u64,
    /// Where SQLite files are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

/// Migrates and fills the database; returns the number of patients.
pub async fn run(p: &Preload) -> anyhow::Result<u64> {
    let url = DatabaseUrl::parse(&p.database_url).context("invalid database URL")?;
    let patients = p.hashes / 2;
    if let (Backend::Sqlite, Some(dir)) = (url.backend(), &p.cache_dir) {
        let target = url.sqlite_path().context("SQLite URL without a path")?;
        let cached = dir.join(format!("sqlite-{}-seed{}-v{FORMAT}.db", p.hashes, p.seed));
        if cached.exists() {
            copy_fresh(&cached, &target)?;
            eprintln!(
                "preload: copied cached {} ({patients} patients)",
                cached.display()
            );
            // Pending migrations of a newer schema apply on server start.
            return Ok(patients);
        }
        fill(&url, patients, p.seed).await?;
        std::fs::create_dir_all(dir)?;
        let partial = cached.with_extension("partial");
        std::fs::copy(&target, &partial)?;
        std::fs::rename(&partial, &cached)?;
        eprintln!("preload: cached as {}", cached.display());
        return Ok(patients);
    }
    fill(&url, patients, p.seed).await?;
    // A registry in use has planner statistics; a fresh load has none.
    Database::connect(&url, 1)
        .context("cannot open the database")?
        .refresh_statistics(idmap_server::db::LINKAGE_TABLES)
        .await
        .context("cannot refresh the planner statistics")?;
    Ok(patients)
}

/// Copies `cached` to `target`, which must not hold data yet.
fn copy_fresh(cached: &Path, target: &Path) -> anyhow::Result<()> {
    if target.exists() && std::fs::metadata(target)?.len() > 0 {
        bail!(
            "{} exists already; preload wants a fresh database",
            target.display()
        );
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    std::fs::copy(cached, target)
        .with_context(|| format!("cannot copy to {}", target.display()))?;
    Ok(())
}

async fn fill(url: &DatabaseUrl, patients: u64, seed: u64) -> anyhow::Result<()> {
    let sqlite = url.backend() == Backend::Sqlite;
    // SQLite: one connection, so that the bulk settings below hold for
    // every chunk.
    let db =
        Database::connect(url, if sqlite { 1 } else { 2 }).context("cannot open the database")?;
    let migrating = db.clone();
    tokio::task::spawn_blocking(move || migrating.migrate(idmap_server::db::migrations()))
        .await?
        .context("cannot migrate the database")?;
    if sqlite {
        // A throwaway file filled once: no journal, no sync, and a page cache
        // holding the whole file, so random hash keys cost memory accesses
        // rather than page writes. The server reopens it in WAL mode.
        db.run(|conn| {
            conn.batch_execute(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
                 PRAGMA cache_size = -4194304;",
            )
            .map_err(idmap_storage::StorageError::from)
        })
        .await?;
    }
    let started = Instant::now();
    let rules = [
        RuleCode::parse(data::RULES[0])?,
        RuleCode::parse(data::RULES[1])?,
    ];
    let mut next_report = patients / 10;
    let mut start = 0;
    while start < patients {
        let chunk = if sqlite { SQLITE_CHUNK } else { CHUNK };
        let end = (start + chunk).min(patients);
        let ids: Vec<_> = (start..end).map(|i| data::uuid(seed, i)).collect();
        let mut new = Vec::with_capacity(ids.len() * 2);
        let mut refs = Vec::with_capacity(ids.len());
        for (i, uuid) in (start..end).zip(&ids) {
            for (k, rule) in (0..).zip(rules.iter()) {
                new.push(NewBinding {
                    hash: data::hash(seed, i, k),
                    uuid: *uuid,
                    rule: Some(rule.clone()),
                    ambiguous: false,
                });
            }
            refs.push((PatientRef::parse(&data::patient_ref(i))?, *uuid));
        }
        let rows = Arc::new((ids, new, refs));
        db.transaction(move |conn| {
            let (ids, new, refs) = &*rows;
            let t = now_unix();
            uuids::insert(conn, ids, t)?;
            bindings::insert(conn, data::PARTNER, new, t)?;
            patient_refs::insert(conn, data::PARTNER, refs, t)?;
            Ok(())
        })
        .await
        .with_context(|| format!("preload of patients {start}..{end} failed"))?;
        start = end;
        if start >= next_report && patients >= 100_000 {
            eprintln!(
                "preload: {start} of {patients} patients, {:.0} s",
                started.elapsed().as_secs_f64()
            );
            next_report += patients / 10;
        }
    }
    if sqlite {
        // Back to WAL, as the server runs it, with nothing left outside the
        // main file, so that a plain copy is complete.
        db.run(|conn| {
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA wal_checkpoint(TRUNCATE)")
                .map_err(idmap_storage::StorageError::from)
        })
        .await?;
    }
    eprintln!(
        "preload: {patients} patients ({} hashes) in {:.1} s",
        patients * 2,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
