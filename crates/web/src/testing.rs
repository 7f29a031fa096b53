//! What both services' integration tests check the same way: the binary
//! as an operator runs it (`--help`, one-line start-up errors, JSON on
//! stdout), the JSON log line of a request, and that the OpenAPI document
//! describes exactly the routes registered.

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::time::Duration;

use idmap_storage::testing::RunBinary;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::settings::{Var, assert_help_lists};

/// A loopback port free a moment ago, for a server process to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// Runs the binary at `program` with `args` and `env` only: none of the
/// service's `vars`, nor `RUST_BACKTRACE`, `NO_COLOR` or `RUST_LOG`, is
/// inherited from the test's environment.
pub fn run_bare(program: &str, vars: &[Var], args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    for var in vars {
        cmd.env_remove(var.name);
    }
    cmd.env_remove("RUST_BACKTRACE")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"))
}

/// What the binary wrote to stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A start-up failure: exit status 1 and exactly this one line.
pub fn assert_one_line_error(out: &Output, expected: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    assert_eq!(stderr(out), format!("{expected}\n"));
}

/// The JSON a successful run printed on stdout.
pub fn success_json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not JSON: {e}"))
}

/// `--help` of each of `commands` lists every variable of `vars` on a line
/// of its own with its meaning and default, and names `RUST_LOG` and
/// `NO_COLOR`.
pub fn assert_help_lists_every_variable(run: RunBinary<'_>, commands: &[&[&str]], vars: &[Var]) {
    for args in commands {
        let out = run(args, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let help = String::from_utf8_lossy(&out.stdout);
        assert_help_lists(&help, vars);
        assert!(
            help.contains("RUST_LOG") && help.contains("NO_COLOR"),
            "{help}"
        );
    }
}

/// The JSON log line that ends the request with id `request_id`, read
/// from a server's `stderr` (JSON log format) within 10 seconds.
pub async fn request_finished_line(stderr: impl AsyncRead + Unpin, request_id: &str) -> Value {
    let mut lines = BufReader::new(stderr).lines();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let line = match lines.next_line().await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("log ended without the request's line"),
                Err(e) => panic!("reading the log: {e}"),
            };
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if v["span"]["request_id"] == request_id && v["fields"]["message"] == "request finished"
            {
                return v;
            }
        }
    });
    found
        .await
        .unwrap_or_else(|_| panic!("no log line with the request id"))
}

/// Asserts that the OpenAPI document `doc` describes exactly the
/// operations `routes` lists, as `(method, path)`.
pub fn assert_describes_exactly<'a>(
    doc: &Value,
    routes: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let described: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("no paths in {doc}"))
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap_or_else(|| panic!("{path} is not an object"))
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = routes
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(described, listed);
}

/// Asserts that the `/metrics` scrape `metrics` counted a request under
/// each `(method, route pattern)` of `routes`: proof that each pattern is
/// a registered route, once a request was sent to each.
pub fn assert_routes_registered<'a>(
    metrics: &str,
    routes: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (method, pattern) in routes {
        let label = format!(
            r#"method="{}",route="{pattern}""#,
            method.to_ascii_uppercase()
        );
        assert!(
            metrics.contains(&label),
            "{pattern} is not a registered route"
        );
    }
}
