//! Secrets hygiene of the logs: the real `auth-server` and `idmap-server`
//! binaries run as child processes with `RUST_LOG=info`, a full flow goes
//! through them (admin CLI, client-credentials and password grants, good
//! and failed authentications, link, save, lookup, introspection,
//! revocation, refused tokens), and their captured stdout and stderr must
//! not contain any secret the flow used: client secrets, passwords, access
//! tokens and their payload and signature parts, refresh tokens, submitted
//! hashes, refs and the salt.
//!
//! The binaries are built (or found up to date) with `scripts/build.sh`
//! before the flow, next to this test executable in the target directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use idmap_e2e::{access_token, free_port, output_with_stdin, request_token};
use serde_json::{Value, json};

/// `target/<profile>/`, where cargo puts the binaries of this build.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/log_hygiene-<hash>
    exe.parent().unwrap().parent().unwrap().to_owned()
}

/// Builds the service binaries (a no-op when they are up to date), so the
/// test never runs stale ones; falls back to whatever exists without cargo.
/// The script builds with the test suite's feature set: any other would
/// recompile dozens of crates within this test's time limit.
fn binaries() -> (PathBuf, PathBuf) {
    let dir = bin_dir();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut build = Command::new(workspace.join("scripts/build.sh"));
    build.stdout(Stdio::null());
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
        "service binaries missing in {} (build: {built:?}); run `scripts/build.sh`",
        dir.display()
    );
    (auth, idmap)
}

struct Env {
    auth_bin: PathBuf,
    idmap_bin: PathBuf,
    dir: tempfile::TempDir,
    auth_port: u16,
    idmap_port: u16,
    http: reqwest::Client,
}

impl Env {
    fn new() -> Self {
        let (auth_bin, idmap_bin) = binaries();
        Env {
            auth_bin,
            idmap_bin,
            dir: tempfile::tempdir().unwrap(),
            auth_port: free_port().unwrap(),
            idmap_port: free_port().unwrap(),
            http: reqwest::Client::new(),
        }
    }

    fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.auth_port)
    }

    fn idmap_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.idmap_port)
    }

    /// A SQLite database URL in the scratch directory.
    fn sqlite(&self, name: &str) -> String {
        format!("sqlite://{}", self.dir.path().join(name).display())
    }

    /// `bin` in the scratch directory with nothing of the test's
    /// environment but `PATH`, logging at `info`.
    fn service_cmd(&self, bin: &Path) -> Command {
        let mut c = Command::new(bin);
        c.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info");
        c
    }

    fn auth_cmd(&self) -> Command {
        let mut c = self.service_cmd(&self.auth_bin);
        c.env("AUTH_LISTEN", format!("127.0.0.1:{}", self.auth_port))
            .env("AUTH_ISSUER", self.auth_url())
            .env("AUTH_DATABASE_URL", self.sqlite("auth.db"))
            .env("AUTH_SIGNING_KEY_DIR", self.dir.path().join("keys"))
            .env("AUTH_ENABLE_PASSWORD_GRANT", "true");
        c
    }

    fn idmap_cmd(&self, salt_fingerprint: &str) -> Command {
        let mut c = self.service_cmd(&self.idmap_bin);
        c.env("IDMAP_LISTEN", format!("127.0.0.1:{}", self.idmap_port))
            .env("IDMAP_ISSUER", self.auth_url())
            .env("IDMAP_DATABASE_URL", self.sqlite("idmap.db"))
            .env("IDMAP_SALT_FINGERPRINTS", salt_fingerprint);
        c
    }

    /// Runs an admin command; returns stdout, and appends stderr to `logs`.
    fn admin(&self, args: &[&str], stdin: Option<&str>, logs: &mut String) -> String {
        let out = output_with_stdin(
            self.auth_cmd().arg("admin").args(args),
            stdin.unwrap_or_default().as_bytes(),
        )
        .unwrap();
        logs.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `admin client add` with `options`; returns the new id and secret.
    fn admin_client(&self, options: &[&str], logs: &mut String) -> (String, String) {
        let args: Vec<&str> = ["client", "add"].iter().chain(options).copied().collect();
        let created: Value = serde_json::from_str(&self.admin(&args, None, logs)).unwrap();
        let field = |name: &str| created[name].as_str().unwrap().to_owned();
        (field("client_id"), field("client_secret"))
    }

    /// Starts a service as `name` (its output kept for `logs`) and waits
    /// until it answers ready at `url`.
    async fn serve(&self, mut cmd: Command, name: &str, url: &str) -> Running {
        let out = std::fs::File::create(self.dir.path().join(format!("{name}.out"))).unwrap();
        let err = std::fs::File::create(self.dir.path().join(format!("{name}.err"))).unwrap();
        let running = Running(cmd.arg("serve").stdout(out).stderr(err).spawn().unwrap());
        wait_ready(&self.http, url).await;
        running
    }

    fn logs(&self, name: &str) -> String {
        let d = self.dir.path();
        std::fs::read_to_string(d.join(format!("{name}.out"))).unwrap()
            + &std::fs::read_to_string(d.join(format!("{name}.err"))).unwrap()
    }

    /// POSTs JSON to idmap-server with a bearer token.
    async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.idmap_url()))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a form to auth-server, as a client (id and secret) over HTTP
    /// Basic when `basic` is given.
    async fn post_form(
        &self,
        path: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.auth_url()));
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.form(form).send().await.unwrap()
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
    let env = Env::new();
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
    let (id, secret) = env.admin_client(
        &["--partner", "UFH", "--scope", "idmap:link"],
        &mut admin_logs,
    );
    let (rid, rsecret) = env.admin_client(
        &["--scope", "idmap:read introspect profile"],
        &mut admin_logs,
    );
    let password = "Correct-Horse-Battery-9321";
    env.admin(
        &["user", "add", "--email", "alice@example.org", "--verified"],
        Some(&format!("{password}\n")),
        &mut admin_logs,
    );
    secrets.extend([secret.clone(), rsecret.clone(), password.to_owned()]);

    let auth = env.serve(env.auth_cmd(), "auth", &env.auth_url()).await;
    let idmap = env
        .serve(env.idmap_cmd(&fingerprint), "idmap", &env.idmap_url())
        .await;

    // Client credentials, Basic and form-encoded; a wrong secret too.
    let token = access_token(&env.http, &env.auth_url(), &id, &secret)
        .await
        .unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", &rid),
        ("client_secret", &rsecret),
    ];
    let r: Value = env
        .post_form("/oauth/token", None, &form)
        .await
        .json()
        .await
        .unwrap();
    let read_token = r["access_token"].as_str().unwrap().to_owned();
    let wrong_secret = "Wr0ng-Secret-Guess-4d1f6a0c9e";
    let r = request_token(&env.http, &env.auth_url(), &id, wrong_secret)
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    secrets.push(wrong_secret.to_owned());
    // Password grant: a right and a wrong password.
    let reader = Some((rid.as_str(), rsecret.as_str()));
    let r: Value = env
        .post_form(
            "/oauth/token",
            reader,
            &[
                ("grant_type", "password"),
                ("username", "alice@example.org"),
                ("password", password),
                ("scope", "profile"),
            ],
        )
        .await
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
    env.post_form(
        "/oauth/token",
        reader,
        &[
            ("grant_type", "password"),
            ("username", "alice@example.org"),
            ("password", wrong_password),
        ],
    )
    .await;
    secrets.push(wrong_password.to_owned());
    // A login form post with the password (refused for CSRF or accepted).
    let login = [("email", "alice@example.org"), ("password", password)];
    env.post_form("/accounts/login/", None, &login).await;

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
    let r = env.post_json("/api/v1/link", &token, &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let save = json!({"data": {"0": {"1": hashes[3]}}});
    let r = env.post_json("/api/save", &token, &save).await;
    assert_eq!(r.status(), 200);
    let lookup = json!({"hashes": [hashes[0], hashes[3]]});
    let r = env.post_json("/api/v1/lookup", &read_token, &lookup).await;
    assert_eq!(r.status(), 200);
    // A bad item: its hash is echoed to the caller, never logged.
    let bad_hash = format!("{}zz", &hash(9)[..62]);
    let bad = json!({"patients": [{"ref": refs[0], "hashes": [{"rule": "F_L_D_S", "hash": bad_hash}]}], "salt_fingerprint": fingerprint});
    env.post_json("/api/v1/link", &token, &bad).await;
    let mut tampered = token.clone();
    tampered.push('x');
    let r = env.post_json("/api/v1/link", &tampered, &body).await;
    assert_eq!(r.status(), 401);

    // Introspection and revocation on auth-server.
    let form = [("token", token.as_str())];
    let r = env.post_form("/oauth/introspect", reader, &form).await;
    assert_eq!(r.status(), 200);
    let r = env
        .post_form("/oauth/revoke", Some((&id, &secret)), &form)
        .await;
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

    let services = [
        ("auth-server", env.logs("auth")),
        ("idmap-server", env.logs("idmap")),
    ];
    // Logging was on: there is something to scan.
    for (name, logs) in &services {
        assert!(logs.lines().count() >= 3, "{name} logged nothing:\n{logs}");
    }
    let mut leaks = Vec::new();
    for (name, logs) in services
        .into_iter()
        .chain([("admin CLI stderr", admin_logs)])
    {
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
