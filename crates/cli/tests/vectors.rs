//! Byte-for-byte equality with the older hashers' reference outputs
//! (testdata/vectors), through the real binary and through the library.
//! The vectors hash placeholders too (rows 1 and 2 of the olass file are a
//! JOHN DOE born 1900-01-01), so they are checked with screening off, as
//! the older hashers ran; the last tests show what screening changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OLASS_SALT, idmap, stderr, stdout, temp_file, vectors_dir};
use idmap_cli::hasher::Hasher;
use idmap_cli::input::{Column, ColumnNames};
use idmap_cli::normalize::SlashOrder;
use idmap_cli::pipeline::{HashOptions, hash_stream};
use idmap_cli::rules::{Field, NormalizedRow, Rule};
use secrecy::SecretSlice;

fn read(path: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(path)).unwrap()
}

/// Expected `ref` + hash lines of the onefl vectors (header replaced by ours).
fn onefl_expected() -> String {
    let expected = read("onefl/phi_hashes.tsv");
    let (header, body) = expected.split_once('\n').unwrap();
    assert_eq!(header, "PATID\tF_L_D_R\tF_L_D_S");
    format!("ref\tF_L_D_R\tF_L_D_S\n{body}")
}

/// Expected output for the olass vectors: patid and the four hash columns.
fn olass_expected() -> String {
    let mut out = String::new();
    for (i, line) in read("olass/olass_rules.tsv").lines().enumerate() {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), 11, "line {}", i + 1);
        let first = if i == 0 { "ref" } else { cells[0] };
        out.push_str(&[first, cells[7], cells[8], cells[9], cells[10]].join("\t"));
        out.push('\n');
    }
    out
}

const OLASS_RULES: [Rule; 4] = [Rule::Fldz, Rule::Lfdz, Rule::Fldc, Rule::Lfdc];

/// `idmap hash` of the onefl layout with options only, plus `extra`.
fn onefl_by_options(extra: &[&str]) -> std::process::Command {
    let mut cmd = idmap();
    cmd.args(["hash", "--legacy-no-salt", "--rules", "F_L_D_R,F_L_D_S"])
        .args(extra);
    for (field, header) in [
        ("ref", "patid2"),
        ("first", "first_name2"),
        ("last", "last_name2"),
        ("dob", "birth_date2"),
        ("sex", "sex2"),
        ("race", "race2"),
    ] {
        cmd.arg("--column").arg(format!("{field}={header}"));
    }
    cmd
}

#[test]
fn binary_reproduces_onefl_with_the_legacy_empty_salt() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_file(
        &dir,
        "idmap.toml",
        br#"
[input.columns]
ref = "patid2"
first = "first_name2"
last = "last_name2"
dob = "birth_date2"
sex = "sex2"
race = "race2"

[hash]
rules = ["F_L_D_R", "F_L_D_S"]
legacy_no_salt = true
screen = false
"#,
    );
    let out = idmap()
        .arg("--config")
        .arg(&config)
        .arg("hash")
        .arg(vectors_dir().join("onefl/phi.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), onefl_expected());
    assert_eq!(stderr(&out), "idmap hash: 13 rows, 20 hashes, 0 bad rows\n");
}

#[test]
fn binary_reproduces_onefl_with_options_only() {
    let out = onefl_by_options(&["--no-screen"])
        .arg(vectors_dir().join("onefl/phi.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), onefl_expected());
}

#[test]
fn onefl_without_the_legacy_option_is_refused() {
    let out = idmap()
        .args(["hash", "--rules", "F_L_D_S"])
        .arg(vectors_dir().join("onefl/phi.tsv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("no salt configured"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn binary_reproduces_olass_with_a_salt_file() {
    let dir = tempfile::tempdir().unwrap();
    let salt = temp_file(&dir, "salt", format!("{OLASS_SALT}\n").as_bytes());
    let output = dir.path().join("hashes.tsv");
    let out = idmap()
        .args([
            "hash",
            "--no-screen",
            "--rules",
            "F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C",
        ])
        .arg("--salt-file")
        .arg(&salt)
        .arg("--output")
        .arg(&output)
        .arg(vectors_dir().join("olass/olass_rules.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert_eq!(std::fs::read_to_string(&output).unwrap(), olass_expected());
}

#[test]
fn binary_reproduces_olass_with_the_salt_in_the_environment() {
    let out = idmap()
        .env("IDMAP_SALT", OLASS_SALT)
        .args([
            "hash",
            "--no-screen",
            "-q",
            "-r",
            "F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C",
        ])
        .arg(vectors_dir().join("olass/olass_rules.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), olass_expected());
    assert_eq!(stderr(&out), "");
}

/// The library path without the CSV reader: split the TSV by hand, normalize
/// with `NormalizedRow`, build texts with `Rule`, hash with `Hasher`.
#[test]
fn library_functions_reproduce_every_vector_row() {
    let empty_salt = Hasher::salted(SecretSlice::from(Vec::new()));
    let phi = read("onefl/phi.tsv");
    let expected = read("onefl/phi_hashes.tsv");
    let rows: Vec<&str> = phi.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let wanted: Vec<&str> = expected.lines().skip(1).collect();
    assert_eq!(rows.len(), wanted.len());
    let fields = [
        Field::First,
        Field::Last,
        Field::Dob,
        Field::Sex,
        Field::Race,
    ];
    for (row, want) in rows.iter().zip(&wanted) {
        let cells: Vec<&str> = row.split('\t').collect();
        let normalized = NormalizedRow::from_raw(
            |f| {
                let i = fields.iter().position(|&x| x == f)?;
                cells.get(i + 1).copied()
            },
            SlashOrder::MonthFirst,
        )
        .unwrap();
        let got: Vec<String> = [Rule::Fldr, Rule::Flds]
            .iter()
            .map(|r| {
                r.text(&normalized)
                    .map(|t| empty_salt.hash(&t))
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(format!("{}\t{}", cells[0], got.join("\t")), *want);
    }

    let salt = Hasher::salted(SecretSlice::from(OLASS_SALT.as_bytes().to_vec()));
    let olass = read("olass/olass_rules.tsv");
    let olass_fields = [
        Field::First,
        Field::Last,
        Field::Dob,
        Field::Sex,
        Field::Zip,
        Field::City,
    ];
    for line in olass.lines().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        let normalized = NormalizedRow::from_raw(
            |f| {
                let i = olass_fields.iter().position(|&x| x == f)?;
                cells.get(i + 1).copied()
            },
            SlashOrder::MonthFirst,
        )
        .unwrap();
        for (rule, want) in OLASS_RULES.iter().zip(&cells[7..]) {
            let got = rule
                .text(&normalized)
                .map(|t| salt.hash(&t))
                .unwrap_or_default();
            assert_eq!(got, *want, "row {} rule {rule}", cells[0]);
        }
    }
}

/// The streaming pipeline, in memory, on the same files.
#[test]
fn pipeline_reproduces_both_vector_files() {
    let mut columns = ColumnNames::default();
    for (column, header) in [
        (Column::Ref, "patid2"),
        (Column::Field(Field::First), "first_name2"),
        (Column::Field(Field::Last), "last_name2"),
        (Column::Field(Field::Dob), "birth_date2"),
        (Column::Field(Field::Sex), "sex2"),
        (Column::Field(Field::Race), "race2"),
    ] {
        columns.set(column, header.to_owned());
    }
    let options = HashOptions {
        rules: vec![Rule::Fldr.into(), Rule::Flds.into()],
        delimiter: None,
        output_delimiter: None,
        slash_order: SlashOrder::MonthFirst,
        columns,
        screen: None,
    };
    let mut out = Vec::new();
    let phi = read("onefl/phi.tsv");
    let empty_salt = Hasher::salted(SecretSlice::from(Vec::new()));
    hash_stream(phi.as_bytes(), &mut out, &options, &empty_salt, |p| {
        panic!("unexpected problem {p:?}")
    })
    .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), onefl_expected());

    let options = HashOptions {
        rules: OLASS_RULES.iter().copied().map(Into::into).collect(),
        columns: ColumnNames::default(),
        ..options
    };
    let mut out = Vec::new();
    let salt = Hasher::salted(SecretSlice::from(OLASS_SALT.as_bytes().to_vec()));
    let olass = read("olass/olass_rules.tsv");
    hash_stream(olass.as_bytes(), &mut out, &options, &salt, |p| {
        panic!("unexpected problem {p:?}")
    })
    .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), olass_expected());
}

/// Screening is on by default: rows without placeholders hash exactly as
/// the older hashers did, rows with them lose the rules that read them.
#[test]
fn screening_changes_only_the_rows_with_placeholders() {
    let out = onefl_by_options(&[])
        .arg(vectors_dir().join("onefl/phi.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), onefl_expected(), "no placeholder in onefl");

    let out = idmap()
        .env("IDMAP_SALT", OLASS_SALT)
        .args(["hash", "-r", "F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C"])
        .arg(vectors_dir().join("olass/olass_rules.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout(&out);
    let want = olass_expected();
    let (got, want): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    assert_eq!(got.len(), want.len());
    // Rows 1 and 2 are JOHN DOE born 1900-01-01: every rule reads a
    // placeholder, so they keep their ref and nothing else.
    assert_eq!(got[1], "1\t\t\t\t");
    assert_eq!(got[2], "2\t\t\t\t");
    assert_ne!(want[1], got[1]);
    assert_eq!(got[0], want[0]);
    assert_eq!(got[3..], want[3..]);
    let err = stderr(&out);
    assert!(
        err.contains(
            "first placeholder name 2 rows, last placeholder name 2 rows, dob placeholder 2 rows"
        ),
        "{err}"
    );
    assert!(
        !err.to_lowercase().contains("john") && !err.contains("1900"),
        "{err}"
    );
}

/// Network-defined keys of every transform, screening on: the reference
/// output in testdata/keys, so that a change of layout or of a phonetic
/// code fails here before it changes a network's hashes.
#[test]
fn binary_reproduces_the_match_key_vectors() {
    let dir = vectors_dir().join("../keys");
    let out = idmap()
        .env("IDMAP_SALT", OLASS_SALT)
        .arg("--config")
        .arg(dir.join("network.toml"))
        .arg("hash")
        .arg(dir.join("people.tsv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(dir.join("hashes.tsv")).unwrap()
    );
    assert!(
        stderr(&out).contains("row 9: dob: day out of range"),
        "{}",
        stderr(&out)
    );
}
