//! The reference scenario: the hashes of `testdata/vectors/onefl/phi_hashes.tsv`
//! submitted by partner UFH (PATID as ref), then by FLM, then both again.
//!
//! Worked out by hand from the rules (R = F_L_D_R, S = F_L_D_S):
//! - UFH: every row gets its own UUID. 04 shares S with 01, 06 shares S
//!   with 03, 09 shares S with 08, and 11 and 12 share R with 09: each time
//!   UFH already holds that UUID under another ref, so the shared hash
//!   becomes ambiguous (rule 5) and the row gets a new UUID. Ambiguous
//!   hashes: S of 01, S of 03, S of 08, R of 09.
//! - FLM: rows 02..08 and 10 each have a non-ambiguous hash bound by UFH,
//!   so they get UFH's UUID of the same row. Rows 01, 09, 11 and 12 have
//!   only ambiguous hashes: new UUIDs, distinct from everything.
//! - Resubmitting gives the same UUIDs (rule 2 through the refs).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use idmap_storage::testing::TestDatabase;

/// Rows of the file that carry at least one hash: (PATID, hashes in column order).
fn rows() -> Vec<(String, Vec<(&'static str, String)>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/onefl/phi_hashes.tsv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap().split('\t').collect::<Vec<_>>(),
        ["PATID", "F_L_D_R", "F_L_D_S"]
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let hashes: Vec<(&'static str, String)> = [("F_L_D_R", 1), ("F_L_D_S", 2)]
                .into_iter()
                .filter_map(|(rule, i)| {
                    cells
                        .get(i)
                        .filter(|c| !c.is_empty())
                        .map(|c| (rule, (*c).to_owned()))
                })
                .collect();
            (!hashes.is_empty()).then(|| (cells[0].to_owned(), hashes))
        })
        .collect()
}

fn body() -> Value {
    let patients: Vec<Value> = rows()
        .into_iter()
        .map(|(patid, hashes)| {
            let hashes: Vec<Value> = hashes
                .into_iter()
                .map(|(rule, hash)| json!({"rule": rule, "hash": hash}))
                .collect();
            json!({"ref": patid, "hashes": hashes})
        })
        .collect();
    json!({ "patients": patients })
}

async fn reference_scenario_ufh_then_flm(db: TestDatabase) {
    let app = spawn_app(db).await;
    let ids: Vec<String> = rows().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        [
            "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"
        ]
    );
    let body = body();

    let ufh = app.link_ok("UFH", &body).await;
    let u = |row: usize| ufh[row - 1].as_str();
    // All twelve UFH patients differ (rule 5 separates 01/04, 03/06, 08/09, 09/11/12).
    assert_eq!(ufh.iter().collect::<HashSet<_>>().len(), 12);
    assert_ne!(u(1), u(4));
    assert_ne!(u(3), u(6));
    assert_ne!(u(8), u(9));
    assert_ne!(u(9), u(11));
    assert_ne!(u(9), u(12));
    assert_ne!(u(11), u(12));
    let counts = app.counts().await;
    assert_eq!(counts["uuids"], 12);
    assert_eq!(counts["bindings"], 15);
    assert_eq!(counts["ambiguous"], 4);
    assert_eq!(counts["patient_refs"], 12);
    assert_eq!(counts["conflicts"], 0);

    let flm = app.link_ok("FLM", &body).await;
    let f = |row: usize| flm[row - 1].as_str();
    for row in [2, 3, 4, 5, 6, 7, 8, 10] {
        assert_eq!(f(row), u(row), "FLM row {row} matches UFH row {row}");
    }
    let fresh = [f(1), f(9), f(11), f(12)];
    assert_eq!(fresh.iter().collect::<HashSet<_>>().len(), 4);
    for new in fresh {
        assert!(
            !ufh.iter().any(|x| x == new),
            "only ambiguous hashes: new UUID"
        );
    }
    let counts = app.counts().await;
    assert_eq!(counts["uuids"], 16);
    assert_eq!(counts["bindings"], 15);
    assert_eq!(counts["ambiguous"], 4);
    assert_eq!(counts["patient_refs"], 24);
    assert_eq!(counts["conflicts"], 0);

    // Resubmitting gives the same UUIDs and stores nothing new.
    assert_eq!(app.link_ok("UFH", &body).await, ufh);
    assert_eq!(app.link_ok("FLM", &body).await, flm);
    assert_eq!(app.counts().await, counts);

    // The ambiguous S hash of row 01 still answers the UUID it is bound to.
    let s01 = rows()[0].1[0].1.clone();
    let r = app
        .post(
            "/api/v1/lookup",
            Some(&app.issuer.read_token()),
            &json!({"hashes": [s01]}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"][0]["uuid"], u(1));
}

per_backend!(reference_scenario_ufh_then_flm,);
