//! What an operator sees from the binary itself: `--help` listing every
//! variable the settings read, a bad setting or a mistyped SQLite path
//! reported on one line naming it, and log lines without colour codes when
//! stderr is not a terminal.

use std::process::{Command, Output};

use idmap_server::config::ENV_VARS;
use idmap_storage::testing::{
    assert_logs_name_the_database_file, assert_mistyped_sqlite_directory_refused,
};

/// The binary with none of the operator's variables inherited.
fn idmap_server(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idmap-server"));
    for var in ENV_VARS {
        cmd.env_remove(var.name);
    }
    cmd.env_remove("RUST_BACKTRACE")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A start-up failure: exit status 1 and exactly this one line.
fn assert_one_line_error(out: &Output, expected: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    assert_eq!(stderr(out), format!("{expected}\n"));
}

#[test]
fn help_of_every_command_lists_every_variable() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["import-legacy", "--help"],
    ] {
        let out = idmap_server(args, &[]);
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for var in ENV_VARS {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(var.name))
                .unwrap_or_else(|| panic!("{args:?}: {} missing from\n{help}", var.name));
            assert!(line.contains(var.meaning), "{line}");
        }
        assert!(
            help.contains("RUST_LOG") && help.contains("NO_COLOR"),
            "{help}"
        );
    }
}

#[test]
fn a_bad_setting_is_one_line_naming_the_variable() {
    let out = idmap_server(&["migrate"], &[("IDMAP_MAX_PATIENTS", "abc")]);
    assert_one_line_error(
        &out,
        r#"error: IDMAP_MAX_PATIENTS: expected an integer, got "abc""#,
    );
    let out = idmap_server(&["serve"], &[("IDMAP_LOG_FORMAT", "yaml")]);
    assert_one_line_error(
        &out,
        r#"error: IDMAP_LOG_FORMAT: expected one of text, json, got "yaml""#,
    );
}

#[test]
fn a_mistyped_sqlite_directory_is_refused_and_not_created() {
    assert_mistyped_sqlite_directory_refused(&idmap_server, "IDMAP_DATABASE_URL", "idmap.db");
}

#[test]
fn logs_name_the_database_file_without_colour_codes() {
    assert_logs_name_the_database_file(&idmap_server, "IDMAP_DATABASE_URL", "idmap.db");
}
