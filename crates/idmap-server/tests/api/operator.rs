//! What an operator sees from the binary itself: `--help` listing every
//! variable the settings read, a bad setting or a mistyped SQLite path
//! reported on one line naming it, and log lines without colour codes when
//! stderr is not a terminal.

use std::process::Output;

use idmap_server::config::ENV_VARS;
use idmap_storage::testing::{
    assert_logs_name_the_database_file, assert_mistyped_sqlite_directory_refused,
};
use idmap_web::testing::{assert_help_lists_every_variable, assert_one_line_error, run_bare};

/// The binary with none of the operator's variables inherited.
fn idmap_server(args: &[&str], env: &[(&str, &str)]) -> Output {
    run_bare(env!("CARGO_BIN_EXE_idmap-server"), ENV_VARS, args, env)
}

#[test]
fn help_of_every_command_lists_every_variable() {
    assert_help_lists_every_variable(
        &idmap_server,
        &[
            &["--help"],
            &["serve", "--help"],
            &["migrate", "--help"],
            &["import-legacy", "--help"],
        ],
        ENV_VARS,
    );
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
