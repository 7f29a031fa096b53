//! The real binary as a child process, where the command line or the
//! process's own output is the subject.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use idmap_web::testing::free_port;
use serde_json::Value;

use super::test_env;

/// The binary with the test environment `env` and none of the caller's
/// `AUTH_*` variables.
pub fn auth_server_command(env: &HashMap<String, String>) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_auth-server"));
    for var in auth_server::config::ENV_VARS {
        cmd.env_remove(var.name);
    }
    cmd.envs(env);
    cmd
}

/// The one line of JSON a successful command printed.
pub fn stdout_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "exactly one line of JSON: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The environment of a server process on a free loopback port, with the
/// test defaults for `dir` and `extra` over them; returns its base URL too.
pub fn serve_env(dir: &Path, extra: &[(&str, &str)]) -> (String, HashMap<String, String>) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut env = test_env(dir, extra);
    env.insert("AUTH_LISTEN".into(), listen.clone());
    (format!("http://{listen}"), env)
}

/// `auth-server serve` with `env`, logging at `info`; stdout and stderr
/// piped, killed when dropped.
pub fn serve(env: &HashMap<String, String>) -> tokio::process::Child {
    tokio::process::Command::from(auth_server_command(env))
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Sends what `request` builds until the starting server answers.
pub async fn first_answer(request: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Response {
    for _ in 0..400 {
        if let Ok(res) = request().send().await {
            return res;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server never answered");
}
