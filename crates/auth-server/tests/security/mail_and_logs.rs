//! The file mailer's messages hold live links: owner-only files in an
//! owner-only directory. A failed client authentication names the client
//! in the log only when the presented id is a client's (a client that
//! swapped the two fields would otherwise log its secret).

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use super::register_verified;
use super::support::{spawn_app, test_env};

#[cfg(unix)]
#[tokio::test]
async fn mail_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    register_verified(&app, "ann@example.org").await;
    let dir = &app.settings.mail_dir;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700, "directory");
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

#[tokio::test]
async fn only_a_known_client_id_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let env = test_env(dir.path(), &[("AUTH_LISTEN", &listen)]);
    let bin = env!("CARGO_BIN_EXE_auth-server");
    let clean = |cmd: &mut tokio::process::Command| {
        for name in auth_server::config::ENV_VARS.iter().map(|v| v.name) {
            cmd.env_remove(name);
        }
        cmd.envs(&env);
    };
    let mut add = tokio::process::Command::new(bin);
    clean(&mut add);
    let out = add
        .args(["admin", "client", "add", "--scope", "idmap:read"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) = (
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );

    let mut serve = tokio::process::Command::new(bin);
    clean(&mut serve);
    let mut child = serve
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://{listen}/oauth/token");
    let mut swapped = None;
    for _ in 0..400 {
        // The secret in the id field, the id in the secret field.
        let sent = http
            .post(&url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", secret.as_str()),
                ("client_secret", id.as_str()),
            ])
            .send()
            .await;
        if let Ok(r) = sent {
            swapped = Some(r.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(swapped, Some(401));
    let res = http
        .post(&url)
        .basic_auth(&id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!log.contains(&secret), "the secret reached the log:\n{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("client authentication failed") && l.contains(&id)),
        "a known client's failure names it:\n{log}"
    );
}
