//! `idmap-server import-legacy`: a legacy `linkage` table in a fresh MariaDB
//! database is imported into each backend; lookups and links answer the
//! legacy UUIDs, a hash bound to another UUID is refused and reported, and
//! a second run (through the real binary) imports nothing twice.

use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection};
use idmap_server::db::audit::Actor;
use idmap_server::import::{self, Options};
use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;
use idmap_web::testing::success_json;

use crate::helpers::{hash, link_body, spawn_app};

const ROWS: u32 = 2_500;

/// Legacy UUID of row `i`: two consecutive rows share one person.
fn legacy_uuid(i: u32) -> String {
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        0xabc0_0000u32 + i / 2,
        i / 2
    )
}

fn fill_legacy(legacy: &TestDatabase) {
    let mut c = MysqlConnection::establish(legacy.url()).unwrap();
    c.batch_execute(
        "CREATE TABLE linkage (
            linkage_hash BINARY(32) NOT NULL PRIMARY KEY,
            linkage_uuid BINARY(16) NOT NULL,
            linkage_partner VARCHAR(32) NULL,
            linkage_added_at DATETIME NULL)",
    )
    .unwrap();
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|&i| {
                let partner = match i % 3 {
                    0 => "'UFH'",
                    1 => "'FLM'",
                    _ => "NULL",
                };
                format!(
                    "(UNHEX('{}'), UNHEX('{}'), {partner}, '2019-05-0{} 10:00:00')",
                    hash(500_000 + i),
                    legacy_uuid(i).replace('-', ""),
                    1 + i % 9
                )
            })
            .collect();
        c.batch_execute(&format!("INSERT INTO linkage VALUES {}", values.join(",")))
            .unwrap();
    }
}

async fn legacy_linkage_imports_with_the_same_uuids_once(db: TestDatabase) {
    let Some(legacy) = TestDatabase::create(Backend::Mysql) else {
        return;
    };
    fill_legacy(&legacy);
    let target_url = db.url().to_owned();
    let app = spawn_app(db).await;
    // Already bound here to a UUID of our own: must be refused, not overwritten.
    let ours = app
        .link_ok("ORH", &link_body(&[(None, &[("F_L_D_S", &hash(500_007))])]))
        .await
        .remove(0);

    let opts = Options {
        table: "linkage".into(),
        hash_column: "linkage_hash".into(),
        uuid_column: "linkage_uuid".into(),
        partner_column: None,
        partner: Some(idmap_common::ids::PartnerCode::parse("OLD").unwrap()),
        batch_size: 1_000,
    };
    let actor = Actor {
        client_id: "test".into(),
        request_id: "import-1".into(),
    };
    let summary = import::import_legacy(legacy.url().to_owned(), &app.db, opts, actor)
        .await
        .unwrap();
    assert_eq!(summary.rows_read, u64::from(ROWS));
    assert_eq!(summary.bindings_imported, u64::from(ROWS) - 1);
    assert_eq!(summary.refused_total, 1);
    assert_eq!(summary.refused[0].hash, hash(500_007));
    assert_eq!(
        summary.refused[0].bound_uuid.as_deref(),
        Some(ours.as_str())
    );
    let hashes: Vec<String> = (0..ROWS).map(|i| hash(500_000 + i)).collect();
    let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
    let found = app.lookup(&refs).await;
    for (i, uuid) in found.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        let expected = if i == 7 { ours.clone() } else { legacy_uuid(i) };
        assert_eq!(uuid.as_deref(), Some(expected.as_str()), "row {i}");
    }
    // A partner linking a legacy hash gets the legacy UUID.
    let linked = app
        .link_ok(
            "TGH",
            &link_body(&[(Some("t1"), &[("F_L_D_S", &hash(500_010))])]),
        )
        .await;
    assert_eq!(linked[0], legacy_uuid(10));
    let (_, stats) = app
        .get_json("/api/v1/admin/stats", &app.issuer.admin_token())
        .await;
    assert_eq!(stats["partners"]["UFH"]["hashes"], 834);
    assert_eq!(stats["partners"]["OLD"]["hashes"], 833);

    // Again through the binary: nothing new, the same refusal reported.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_idmap-server"))
        .args(["import-legacy", "--batch-size", "700", "--partner", "OLD"])
        .env("IDMAP_DATABASE_URL", &target_url)
        .env("IDMAP_LEGACY_URL", legacy.url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let again = success_json(&out);
    assert_eq!(again["bindings_imported"], 0);
    assert_eq!(again["uuids_imported"], 0);
    assert_eq!(again["already_present"], ROWS - 1);
    assert_eq!(again["refused_total"], 1);
    assert_eq!(app.counts().await["bindings"], i64::from(ROWS));
}

per_backend!(legacy_linkage_imports_with_the_same_uuids_once);
