//! The file mailer's messages hold live links: owner-only files in an
//! owner-only directory. A failed client authentication names the client
//! in the log only when the presented id is a client's (a client that
//! swapped the two fields would otherwise log its secret).

use std::time::Duration;

use crate::support::process::{auth_server_command, first_answer, serve, serve_env, stdout_json};
use crate::support::spawn_app;

#[cfg(unix)]
#[tokio::test]
async fn mail_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    app.register_verified("ann@example.org").await;
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
    let (base, env) = serve_env(dir.path(), &[]);
    let created = stdout_json(
        &auth_server_command(&env)
            .args(["admin", "client", "add", "--scope", "idmap:read"])
            .output()
            .unwrap(),
    );
    let (id, secret) = (
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );

    let mut child = serve(&env);
    let http = reqwest::Client::new();
    let url = format!("{base}/oauth/token");
    // The secret in the id field, the id in the secret field.
    let swapped = first_answer(|| {
        http.post(&url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", secret.as_str()),
            ("client_secret", id.as_str()),
        ])
    })
    .await;
    assert_eq!(swapped.status(), 401);
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
