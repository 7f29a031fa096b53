//! Helpers shared by the integration tests: running the built `idmap`
//! binary with a clean environment, locating the vectors, and finding the
//! `python3` oracle.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod standin;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The salt of the olass vectors (from testdata/vectors/README.md).
pub const OLASS_SALT: &str = "5ce3c76fae7161e7d45a5c96fb6a2b2131134af739fc1c85465e659aded4e431";

/// `testdata/vectors` of the workspace.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors")
}

/// A command for the built binary, with none of the variables it reads
/// inherited from the test runner's environment.
pub fn idmap() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idmap"));
    for var in [
        "IDMAP_SALT",
        "IDMAP_SALT_FILE",
        "IDMAP_HMAC_KEY_FILE",
        "IDMAP_CONFIG",
        "MY_SALT",
        "IDMAP_SALT_FINGERPRINT",
        "IDMAP_URL",
        "IDMAP_TOKEN_URL",
        "IDMAP_AUTH_ISSUER",
        "IDMAP_CLIENT_ID",
        "IDMAP_CLIENT_SECRET",
        "IDMAP_CLIENT_SECRET_FILE",
        "IDMAP_CA_FILE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` with `stdin` as its standard input.
pub fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    idmap_e2e::output_with_stdin(cmd, stdin).unwrap()
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// The `python3` oracle, or `None` (with a notice) when it is absent.
/// Under `CI=true` an absent `python3` fails the test instead of skipping.
pub fn python3() -> Option<&'static str> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        return Some("python3");
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("python3 is required in CI (it is the normalization oracle)");
    }
    eprintln!("NOTICE: python3 not found; skipping the python3 oracle test");
    None
}

/// Runs a python3 program with `input` on stdin and returns its stdout.
pub fn run_python(program: &str, input: &[u8]) -> String {
    let mut cmd = Command::new(python3().unwrap());
    cmd.arg("-c").arg(program).env("PYTHONIOENCODING", "utf-8");
    let out = run_with_stdin(&mut cmd, input);
    assert!(out.status.success(), "python3 failed: {}", stderr(&out));
    stdout(&out)
}

/// A file holding `contents` in a fresh temporary directory.
pub fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}
