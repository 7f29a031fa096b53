//! What an operator sees from the binary itself: `--help` listing every
//! variable the settings read, `admin --help` naming what it covers, a bad
//! setting or a mistyped SQLite path reported on one line naming it, and
//! log lines without colour codes when stderr is not a terminal.

use std::collections::HashMap;
use std::process::Output;

use auth_server::config::ENV_VARS;
use idmap_storage::testing::{
    assert_logs_name_the_database_file, assert_mistyped_sqlite_directory_refused,
};

use crate::support::process::auth_server_command;

/// The binary with none of the operator's variables inherited.
fn auth_server(args: &[&str], env: &[(&str, &str)]) -> Output {
    auth_server_command(&HashMap::new())
        .env_remove("RUST_BACKTRACE")
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

#[test]
fn help_of_every_command_lists_every_variable() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["admin", "--help"],
        &["admin", "user", "add", "--help"],
    ] {
        let out = auth_server(args, &[]);
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for var in ENV_VARS {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(var.name))
                .unwrap_or_else(|| panic!("{args:?}: {} missing from\n{help}", var.name));
            assert!(line.contains(var.meaning), "{line}");
            if let Some(default) = var.default {
                assert!(line.contains(&format!("[default: {default}]")), "{line}");
            }
        }
        assert!(
            help.contains("RUST_LOG") && help.contains("NO_COLOR"),
            "{help}"
        );
    }
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
        let out = auth_server(&["migrate"], &[(var, value)]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(stderr(&out), format!("{expected}\n"));
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
