//! What an operator sees from the binary itself: `--help` listing every
//! variable the settings read, `admin --help` naming what it covers, a bad
//! setting or a mistyped SQLite path reported on one line naming it, and
//! log lines without colour codes when stderr is not a terminal.

use std::process::Output;

use auth_server::config::ENV_VARS;
use idmap_storage::testing::{
    assert_logs_name_the_database_file, assert_mistyped_sqlite_directory_refused,
};
use idmap_web::testing::{assert_help_lists_every_variable, assert_one_line_error, run_bare};

/// The binary with none of the operator's variables inherited.
fn auth_server(args: &[&str], env: &[(&str, &str)]) -> Output {
    run_bare(env!("CARGO_BIN_EXE_auth-server"), ENV_VARS, args, env)
}

#[test]
fn help_of_every_command_lists_every_variable() {
    assert_help_lists_every_variable(
        &auth_server,
        &[
            &["--help"],
            &["serve", "--help"],
            &["migrate", "--help"],
            &["admin", "--help"],
            &["admin", "user", "add", "--help"],
        ],
        ENV_VARS,
    );
}

#[test]
fn admin_help_names_everything_it_covers() {
    let out = auth_server(&["--help"], &[]);
    let help = String::from_utf8(out.stdout).unwrap();
    let admin = help
        .lines()
        .find(|l| l.trim_start().starts_with("admin"))
        .unwrap();
    for area in [
        "users",
        "keys",
        "groups",
        "partners",
        "clients",
        "entitlements",
    ] {
        assert!(admin.contains(area), "{admin}");
    }
}

#[test]
fn a_bad_setting_is_one_line_naming_the_variable() {
    for (var, value, expected) in [
        (
            "AUTH_ACCESS_TOKEN_TTL",
            "abc",
            r#"error: AUTH_ACCESS_TOKEN_TTL: expected an integer, got "abc""#,
        ),
        (
            "AUTH_ENABLE_PASSWORD_GRANT",
            "maybe",
            r#"error: AUTH_ENABLE_PASSWORD_GRANT: expected true or false, got "maybe""#,
        ),
        (
            "AUTH_ACCESS_TOKEN_TTL",
            "0",
            "error: AUTH_ACCESS_TOKEN_TTL must be 1 to 86400 seconds",
        ),
    ] {
        assert_one_line_error(&auth_server(&["migrate"], &[(var, value)]), expected);
    }
}

#[test]
fn a_mistyped_sqlite_directory_is_refused_and_not_created() {
    assert_mistyped_sqlite_directory_refused(&auth_server, "AUTH_DATABASE_URL", "auth.db");
}

#[test]
fn logs_name_the_database_file_without_colour_codes() {
    assert_logs_name_the_database_file(&auth_server, "AUTH_DATABASE_URL", "auth.db");
}
