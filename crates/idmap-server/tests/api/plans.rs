//! Plans that hold without planner statistics: a fresh registry, never
//! analyzed (autovacuum held off on PostgreSQL), grows from 1,000 to 20,000
//! patients of one partner, and the reads of a link request of 100
//! patients, half of them stored, must cost the same at both sizes. Cost
//! is rows as the database counts them (PostgreSQL's
//! `pg_stat_xact_user_tables`, MariaDB's `Handler_read_*`), not time.
//! SQLite counts no rows, so there every statement the request ran must
//! search by its key.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use idmap_common::Sha256Hash;
use idmap_common::ids::{PartnerCode, PatientRef, RuleCode};
use idmap_server::db;
use idmap_server::db::audit::Actor;
use idmap_server::domain::linkage::{Patient, Settings};
use idmap_storage::testing::TestDatabase;
use idmap_storage::{Backend, Database, DatabaseUrl, DbConnection, StorageError};

const PARTNER: &str = "GROW";
/// The tables that grow with the registry.
const LINKAGE_TABLES: [&str; 3] = ["uuids", "bindings", "patient_refs"];
const SMALL: u64 = 1_000;
const LARGE: u64 = 20_000;
const PROBE: u64 = 100;

fn hash(i: u64, k: u8) -> Sha256Hash {
    let mut b = [k; 32];
    b[..8].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    b[8..16].copy_from_slice(&i.to_be_bytes());
    Sha256Hash::from_bytes(b)
}

fn patient(i: u64) -> Patient {
    Patient {
        patient_ref: Some(PatientRef::parse(&format!("R{i}")).unwrap()),
        hashes: vec![
            (hash(i, 1), Some(RuleCode::parse("F_L_D_S").unwrap())),
            (hash(i, 2), Some(RuleCode::parse("F_L_D_Z").unwrap())),
        ],
    }
}

/// Links patients `from..to` through the service's own write path.
async fn grow(db: &Database, from: u64, to: u64) {
    let mut start = from;
    while start < to {
        let end = (start + 1_000).min(to);
        db::link::link(
            db,
            PartnerCode::parse(PARTNER).unwrap(),
            (start..end).map(patient).collect(),
            Arc::new(Settings::default()),
            "link",
            Actor {
                client_id: "grow".into(),
                request_id: format!("grow-{start}"),
            },
        )
        .await
        .unwrap();
        start = end;
    }
}

/// A request of `PROBE` patients: the even ones stored, the odd ones new.
fn probe(stored: u64) -> Vec<Patient> {
    (0..PROBE)
        .map(|i| {
            if i % 2 == 0 {
                patient(stored - 1 - i)
            } else {
                patient(10_000_000 + stored + i)
            }
        })
        .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = Text, column_name = "Variable_name")]
    _name: String,
    #[diesel(sql_type = Text, column_name = "Value")]
    value: String,
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// Rows the database read so far in this transaction (PostgreSQL) or
/// session (MariaDB).
fn rows_read(conn: &mut DbConnection, backend: Backend) -> i64 {
    match backend {
        Backend::Postgres => {
            diesel::sql_query(
                "SELECT COALESCE(SUM(seq_tup_read + COALESCE(idx_tup_fetch, 0)), 0)::BIGINT AS n \
             FROM pg_stat_xact_user_tables",
            )
            .get_result::<Count>(conn)
            .unwrap()
            .n
        }
        Backend::Mysql => diesel::sql_query("SHOW SESSION STATUS LIKE 'Handler_read%'")
            .load::<Status>(conn)
            .unwrap()
            .iter()
            .map(|s| s.value.parse::<i64>().unwrap())
            .sum(),
        Backend::Sqlite => 0,
    }
}

/// The statements a closure runs, as SQL text.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.lock().unwrap().push(query.to_string());
        }
    }
}

/// What the reads of one probe cost: rows read (PostgreSQL, MariaDB) and,
/// on SQLite, the plan lines of the statements it ran.
async fn cost(db: &Database, backend: Backend, stored: u64) -> (i64, Vec<String>) {
    let patients = probe(stored);
    db.run(move |conn| {
        let recorder = Recorder::default();
        conn.set_instrumentation(recorder.clone());
        let measured = conn.transaction::<_, StorageError, _>(|c| {
            let before = rows_read(c, backend);
            let snapshot = db::link::load_snapshot(c, PARTNER, &patients)?;
            let after = rows_read(c, backend);
            assert_eq!(snapshot.refs.len() as u64, PROBE / 2, "the stored half");
            Ok(after - before)
        })?;
        conn.set_instrumentation(None::<Recorder>);
        let statements = recorder.0.lock().unwrap().clone();
        let mut plans = Vec::new();
        if backend == Backend::Sqlite {
            for sql in statements.iter().filter(|s| s.starts_with("SELECT")) {
                let sql = sql.split(" -- binds:").next().unwrap_or_default();
                let lines = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                    .load::<PlanLine>(conn)?;
                plans.extend(lines.into_iter().map(|l| format!("{}  <- {sql}", l.detail)));
            }
        }
        Ok((measured, plans))
    })
    .await
    .unwrap()
}

async fn link_reads_do_not_grow_with_a_fresh_registry(test_db: TestDatabase) {
    let url = DatabaseUrl::parse(test_db.url()).unwrap();
    let backend = url.backend();
    let db = Database::connect(&url, 2).unwrap();
    db.migrate(db::migrations()).unwrap();
    if backend == Backend::Postgres {
        db.run(|c| {
            c.batch_execute(
                "ALTER TABLE uuids SET (autovacuum_enabled = false); \
                 ALTER TABLE bindings SET (autovacuum_enabled = false); \
                 ALTER TABLE patient_refs SET (autovacuum_enabled = false);",
            )
            .map_err(StorageError::from)
        })
        .await
        .unwrap();
    }

    grow(&db, 0, SMALL).await;
    let (small, small_plans) = cost(&db, backend, SMALL).await;
    grow(&db, SMALL, LARGE).await;
    let (large, large_plans) = cost(&db, backend, LARGE).await;

    // Each probed key costs a few rows; none of it scales with the registry.
    assert!(
        large <= small + small / 4 + 20,
        "{backend:?}: {large} rows read at {LARGE} patients, {small} at {SMALL}"
    );
    eprintln!("{backend:?}: {small} rows read at {SMALL} patients, {large} at {LARGE}");
    if backend != Backend::Sqlite {
        assert!(large > 0, "{backend:?}: the counter saw the reads");
        // A few index entries per probed key (a scan of a table this
        // small may be cheaper at the first size, not at the second).
        assert!(
            large < 10 * PROBE as i64,
            "{backend:?}: {large} rows for {PROBE}"
        );
    }
    for line in small_plans.iter().chain(&large_plans) {
        let table = line.split_whitespace().nth(1).unwrap_or_default();
        if LINKAGE_TABLES.contains(&table) {
            assert!(
                line.starts_with("SEARCH"),
                "a statement scans instead of searching by key: {line}"
            );
        }
    }
    if backend == Backend::Sqlite {
        assert!(
            large_plans.iter().any(|l| l.contains("patient_refs_uuid")),
            "the held refs are searched by UUID: {large_plans:?}"
        );
    }
}

per_backend!(link_reads_do_not_grow_with_a_fresh_registry);
