//! Secrets hygiene of the logs: the real `auth-server` and `idmap-server`
//! binaries run as child processes with `RUST_LOG=info`, a full flow goes
//! through them (admin CLI, client-credentials and password grants, good
//! and failed authentications, link, save, lookup, introspection,
//! revocation, refused tokens), and their captured stdout and stderr must
//! not contain any secret the flow used: client secrets, passwords, access
//! tokens and their payload and signature parts, refresh tokens, submitted
//! hashes, refs and the salt.
//!
//! The binaries are built (or found up to date) with `cargo build` before
//! the flow, next to this test executable in the target directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// `target/<profile>/`, where cargo puts the binaries of this build.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/log_hygiene-<hash>
    exe.parent().unwrap().parent().unwrap().to_owned()
}

/// Builds both service binaries (a no-op when they are up to date), so the
/// test never runs stale ones; falls back to whatever exists without cargo.
fn binaries() -> (PathBuf, PathBuf) {
    let dir = bin_dir();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&workspace)
        .args(["build", "--bin", "auth-server", "--bin", "idmap-server"]);
    if dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    if let Some(target) = dir.parent() {
        build.env("CARGO_TARGET_DIR", target);
    }
    let built = build.status();
    let auth = dir.join("auth-server");
    let idmap = dir.join("idmap-server");
    assert!(
        auth.exists() && idmap.exists(),
        "service binaries missing in {} (cargo build: {built:?}); run `cargo build --bin auth-server --bin idmap-server`",
        dir.display()
    );
    (auth, idmap)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Env {
    auth_bin: PathBuf,
    idmap_bin: PathBuf,
    dir: tempfile::TempDir,
    auth_port: u16,
    idmap_port: u16,
}

impl Env {
    fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.auth_port)
    }

    fn auth_cmd(&self) -> Command {
        let mut c = Command::new(&self.auth_bin);
        let d = self.dir.path();
        c.current_dir(d)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env("AUTH_LISTEN", format!("127.0.0.1:{}", self.auth_port))
            .env("AUTH_ISSUER", self.auth_url())
            .env(
                "AUTH_DATABASE_URL",
                format!("sqlite://{}", d.join("auth.db").display()),
            )
            .env("AUTH_SIGNING_KEY_DIR", d.join("keys"))
            .env("AUTH_ENABLE_PASSWORD_GRANT", "true");
        c
    }

    /// Runs an admin command; returns stdout, and appends stderr to `logs`.
    fn admin(&self, args: &[&str], stdin: Option<&str>, logs: &mut String) -> String {
        let mut child = self
            .auth_cmd()
            .arg("admin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        logs.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn spawn(&self, mut cmd: Command, name: &str) -> Child {
        let out = std::fs::File::create(self.dir.path().join(format!("{name}.out"))).unwrap();
        let err = std::fs::File::create(self.dir.path().join(format!("{name}.err"))).unwrap();
        cmd.arg("serve").stdout(out).stderr(err).spawn().unwrap()
    }

    fn logs(&self, name: &str) -> String {
        let d = self.dir.path();
        std::fs::read_to_string(d.join(format!("{name}.out"))).unwrap()
            + &std::fs::read_to_string(d.join(format!("{name}.err"))).unwrap()
    }
}

/// Stops the child when dropped, so a failing assertion leaves no server.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(http: &reqwest::Client, url: &str) {
    for _ in 0..300 {
        if http
            .get(format!("{url}/health/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never became ready");
}

fn hash(n: u32) -> String {
    format!("{:064x}", 0x5ec7_e700_u64 + u64::from(n))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs_of_a_full_run() {
    let (auth_bin, idmap_bin) = binaries();
    let env = Env {
        auth_bin,
        idmap_bin,
        dir: tempfile::tempdir().unwrap(),
        auth_port: free_port(),
        idmap_port: free_port(),
    };
    let http = reqwest::Client::new();
    let mut secrets: Vec<String> = Vec::new();
    let mut admin_logs = String::new();

    // The salt never leaves a partner; the server knows only its fingerprint.
    let salt = "s4lt-0f-the-network-7b3e9d";
    secrets.push(salt.to_owned());
    let fingerprint = idmap_common::fingerprint::salt_fingerprint(salt.as_bytes());

    env.admin(
        &["partner", "add", "UFH", "--name", "Hospital"],
        None,
        &mut admin_logs,
    );
    let created: Value = serde_json::from_str(&env.admin(
        &["client", "add", "--partner", "UFH", "--scope", "idmap:link"],
        None,
        &mut admin_logs,
    ))
    .unwrap();
    let (id, secret) = (
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );
    let created: Value = serde_json::from_str(&env.admin(
        &["client", "add", "--scope", "idmap:read introspect profile"],
        None,
        &mut admin_logs,
    ))
    .unwrap();
    let (rid, rsecret) = (
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );
    let password = "Correct-Horse-Battery-9321";
    env.admin(
        &["user", "add", "--email", "alice@example.org", "--verified"],
        Some(&format!("{password}\n")),
        &mut admin_logs,
    );
    secrets.extend([secret.clone(), rsecret.clone(), password.to_owned()]);

    let auth = Running(env.spawn(env.auth_cmd(), "auth"));
    wait_ready(&http, &env.auth_url()).await;
    let mut idmap_cmd = Command::new(&env.idmap_bin);
    idmap_cmd
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("IDMAP_LISTEN", format!("127.0.0.1:{}", env.idmap_port))
        .env("IDMAP_ISSUER", env.auth_url())
        .env(
            "IDMAP_DATABASE_URL",
            format!("sqlite://{}", env.dir.path().join("idmap.db").display()),
        )
        .env("IDMAP_SALT_FINGERPRINTS", &fingerprint);
    let idmap = Running(env.spawn(idmap_cmd, "idmap"));
    let idmap_url = format!("http://127.0.0.1:{}", env.idmap_port);
    wait_ready(&http, &idmap_url).await;

    let token_url = format!("{}/oauth/token", env.auth_url());
    // Client credentials, Basic and form-encoded; a wrong secret too.
    let r: Value = http
        .post(&token_url)
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = r["access_token"].as_str().unwrap().to_owned();
    let r: Value = http
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &rid),
            ("client_secret", &rsecret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let read_token = r["access_token"].as_str().unwrap().to_owned();
    let wrong_secret = "Wr0ng-Secret-Guess-4d1f6a0c9e";
    let r = http
        .post(&token_url)
        .basic_auth(&id, Some(wrong_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    secrets.push(wrong_secret.to_owned());
    // Password grant: a right and a wrong password.
    let r: Value = http
        .post(&token_url)
        .basic_auth(&rid, Some(&rsecret))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice@example.org"),
            ("password", password),
            ("scope", "profile"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tokens = vec![token.clone(), read_token.clone()];
    for member in ["access_token", "refresh_token"] {
        if let Some(t) = r[member].as_str() {
            tokens.push(t.to_owned());
        }
    }
    let wrong_password = "Not-The-Password-88213";
    let _ = http
        .post(&token_url)
        .basic_auth(&rid, Some(&rsecret))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice@example.org"),
            ("password", wrong_password),
        ])
        .send()
        .await
        .unwrap();
    secrets.push(wrong_password.to_owned());
    // A login form post with the password (refused for CSRF or accepted).
    let _ = http
        .post(format!("{}/accounts/login/", env.auth_url()))
        .form(&[("email", "alice@example.org"), ("password", password)])
        .send()
        .await
        .unwrap();

    // idmap: link (refs and hashes), save, lookup, refused tokens.
    let refs = ["ref-PHI-93c1a7", "ref-PHI-5d20e8"];
    let hashes: Vec<String> = (0..4).map(hash).collect();
    let body = json!({
        "patients": [
            {"ref": refs[0], "hashes": [{"rule": "F_L_D_S", "hash": hashes[0]}, {"rule": "F_L_D_R", "hash": hashes[1].to_uppercase()}]},
            {"ref": refs[1], "hashes": [{"rule": "F_L_D_S", "hash": hashes[2]}]}
        ],
        "salt_fingerprint": fingerprint,
    });
    let r = http
        .post(format!("{idmap_url}/api/v1/link"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http
        .post(format!("{idmap_url}/api/save"))
        .bearer_auth(&token)
        .json(&json!({"data": {"0": {"1": hashes[3]}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{idmap_url}/api/v1/lookup"))
        .bearer_auth(&read_token)
        .json(&json!({"hashes": [hashes[0], hashes[3]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A bad item: its hash is echoed to the caller, never logged.
    let bad_hash = format!("{}zz", &hash(9)[..62]);
    let _ = http
        .post(format!("{idmap_url}/api/v1/link"))
        .bearer_auth(&token)
        .json(&json!({"patients": [{"ref": refs[0], "hashes": [{"rule": "F_L_D_S", "hash": bad_hash}]}], "salt_fingerprint": fingerprint}))
        .send()
        .await
        .unwrap();
    let mut tampered = token.clone();
    tampered.push('x');
    let r = http
        .post(format!("{idmap_url}/api/v1/link"))
        .bearer_auth(&tampered)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Introspection and revocation on auth-server.
    let r = http
        .post(format!("{}/oauth/introspect", env.auth_url()))
        .basic_auth(&rid, Some(&rsecret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{}/oauth/revoke", env.auth_url()))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Let the servers flush, then stop them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(idmap);
    drop(auth);

    for t in &tokens {
        secrets.push(t.clone());
        let parts: Vec<&str> = t.split('.').collect();
        if parts.len() == 3 {
            secrets.push(parts[1].to_owned());
            secrets.push(parts[2].to_owned());
        }
    }
    for h in hashes.iter().chain([&bad_hash]) {
        secrets.push(h.clone());
        secrets.push(h.to_uppercase());
        // A prefix catches truncated or reformatted hashes too.
        secrets.push(h[..24].to_owned());
    }
    secrets.extend(refs.iter().map(|r| (*r).to_owned()));

    let auth_logs = env.logs("auth");
    let idmap_logs = env.logs("idmap");
    // Logging was on: there is something to scan.
    assert!(
        auth_logs.lines().count() >= 3,
        "auth-server logged nothing:\n{auth_logs}"
    );
    assert!(
        idmap_logs.lines().count() >= 3,
        "idmap-server logged nothing:\n{idmap_logs}"
    );
    let mut leaks = Vec::new();
    for (name, logs) in [
        ("auth-server", &auth_logs),
        ("idmap-server", &idmap_logs),
        ("admin CLI stderr", &admin_logs),
    ] {
        for s in &secrets {
            for line in logs.lines().filter(|l| l.contains(s.as_str())) {
                leaks.push(format!("{name}: {s:?} in {line}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "secrets in the logs:\n{}",
        leaks.join("\n")
    );
}
