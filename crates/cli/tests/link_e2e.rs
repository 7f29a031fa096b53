//! `idmap link` and `idmap run` end to end: the real binary against the real
//! auth-server and idmap-server (started in-process by `idmap-e2e`), with a
//! stand-in in between where a test needs faults (503, 401, slowness) or
//! needs to count what was sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::standin::{Faults, StandIn};
use common::{OLASS_SALT, idmap, stderr, vectors_dir};
use idmap_e2e::{Settings, System};
use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const RULES: &str = "F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C";

fn fingerprint(salt: &str) -> String {
    idmap_common::fingerprint::salt_fingerprint(salt.as_bytes())
}

/// A running system, one partner client, and a scratch directory.
struct Env {
    sys: System,
    id: String,
    secret: String,
    dir: tempfile::TempDir,
}

async fn env_with(settings: Settings) -> Env {
    let sys = System::start_with(TestDatabase::create(Backend::Sqlite).unwrap(), settings)
        .await
        .unwrap();
    let (id, secret) = sys.client(Some("UFH"), "idmap:link").await.unwrap();
    Env {
        sys,
        id,
        secret,
        dir: tempfile::tempdir().unwrap(),
    }
}

/// The network checks the olass salt's fingerprint.
async fn env() -> Env {
    env_with(Settings::default().idmap("IDMAP_SALT_FINGERPRINTS", fingerprint(OLASS_SALT))).await
}

/// A run to interrupt: 30 people and a stand-in answering each batch
/// after 150 ms, so the run is still going when it is stopped.
struct Slow<'a> {
    env: &'a Env,
    input: PathBuf,
    output: PathBuf,
    proxy: StandIn,
}

impl Slow<'_> {
    /// `idmap run` of the 30 people through the stand-in in batches of two.
    fn command(&self) -> Command {
        self.env
            .run_in_pairs(&self.proxy.url, &self.input, &self.output)
    }

    /// Runs the same command again with the stand-in at full speed, checks
    /// that every row ends up linked to the server's UUID, and returns the
    /// rerun's stderr.
    async fn finish(&self) -> String {
        self.proxy.faults.lock().unwrap().delay = Duration::ZERO;
        let err = exits(self.command(), 0).await;
        let hashes = self.env.hash(&self.input).await;
        let server = self.env.server_answers(&hashes).await;
        assert_matches_server(&read_output(&self.output), &server);
        err
    }
}

impl Env {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A stand-in in front of this system's idmap-server.
    async fn stand_in(&self, faults: Faults) -> StandIn {
        StandIn::start(&self.sys.idmap_url, faults).await
    }

    async fn slow_run(&self) -> Slow<'_> {
        let faults = Faults {
            delay: Duration::from_millis(150),
            ..Faults::default()
        };
        Slow {
            env: self,
            input: people(self.dir.path(), 30),
            output: self.path("uuids.csv"),
            proxy: self.stand_in(faults).await,
        }
    }

    /// `idmap link` of `hashes` through `url` to standard output.
    fn link(&self, url: &str, hashes: &Path) -> Command {
        let mut cmd = self.cmd("link", url);
        cmd.arg(hashes);
        cmd
    }

    /// `idmap link` of `hashes` through `url` into `output`.
    fn link_to(&self, url: &str, hashes: &Path, output: &Path) -> Command {
        let mut cmd = self.link(url, hashes);
        cmd.arg("-o").arg(output);
        cmd
    }

    /// `idmap run` of `input` with `RULES` through `url` to standard output.
    fn run_rules(&self, url: &str, input: &Path) -> Command {
        let mut cmd = self.cmd("run", url);
        cmd.args(["--rules", RULES]).arg(input);
        cmd
    }

    /// `idmap run` of `input` through `url` in batches of two into `output`.
    fn run_in_pairs(&self, url: &str, input: &Path, output: &Path) -> Command {
        let mut cmd = self.run_rules(url, input);
        cmd.args(["--batch-size", "2", "-o"]).arg(output);
        cmd
    }

    /// `idmap <sub>` aimed at `url` with this client's credentials, the
    /// olass salt in the environment and fast retries.
    fn cmd(&self, sub: &str, url: &str) -> Command {
        self.cmd_as(sub, url, &self.id, &self.secret)
    }

    /// `cmd` with another client's credentials.
    fn cmd_as(&self, sub: &str, url: &str, id: &str, secret: &str) -> Command {
        let mut cmd = idmap();
        cmd.env("IDMAP_SALT", OLASS_SALT)
            .env("IDMAP_CLIENT_SECRET", secret)
            .arg(sub)
            .args(["--url", url, "--issuer", &self.sys.auth_url])
            .args(["--client-id", id])
            .args(["--retry-initial-delay-ms", "20", "--retry-max-delay", "1"]);
        cmd
    }

    /// Hashes `input` to a hash file and returns its path. Screening is off:
    /// the olass vectors hold a JOHN DOE whose rows would not be sent.
    async fn hash(&self, input: &Path) -> PathBuf {
        let out = self.path("hashes.tsv");
        hash_into(input, &out, &["--no-screen", "--rules", RULES]).await;
        out
    }

    /// The olass vectors and their hash file.
    async fn hash_vectors(&self) -> (PathBuf, PathBuf) {
        let vectors = vectors_dir().join("olass/olass_rules.tsv");
        let hashes = self.hash(&vectors).await;
        (vectors, hashes)
    }

    /// A copy of the file `source`, named `name`, with its lines changed by
    /// `edit` (line 0 is the header).
    fn edited(&self, source: &Path, name: &str, edit: impl FnOnce(&mut [String])) -> PathBuf {
        let text = std::fs::read_to_string(source).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        edit(&mut lines);
        let path = self.path(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    }

    /// What the server answers for every row of a hash file, sent again
    /// with the same refs (rule 2: the same UUIDs).
    async fn server_answers(&self, hash_file: &Path) -> HashMap<String, String> {
        let text = std::fs::read_to_string(hash_file).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let patients: Vec<Value> = lines
            .map(|line| {
                let cells: Vec<&str> = line.split('\t').collect();
                let hashes: Vec<Value> = header[1..]
                    .iter()
                    .zip(&cells[1..])
                    .filter(|(_, h)| !h.is_empty())
                    .map(|(rule, hash)| json!({"rule": rule, "hash": hash}))
                    .collect();
                json!({"ref": cells[0], "hashes": hashes})
            })
            .filter(|p| !p["hashes"].as_array().unwrap().is_empty())
            .collect();
        let token = self.sys.token(&self.id, &self.secret).await.unwrap();
        let body = json!({"patients": patients, "salt_fingerprint": fingerprint(OLASS_SALT)});
        let r = self
            .sys
            .api("/api/v1/link", Some(&token), &body)
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let answer: Value = r.json().await.unwrap();
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ref"].as_str().unwrap().to_owned(),
                    r["uuid"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

/// Runs a command off the async runtime's threads.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Runs `cmd`, checks that it exits with `code`, and returns its stderr.
async fn exits(cmd: Command, code: i32) -> String {
    let out = run(cmd).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    err
}

/// `idmap hash` of `input` into `output` with the olass salt.
async fn hash_into(input: &Path, output: &Path, options: &[&str]) {
    let mut cmd = idmap();
    cmd.env("IDMAP_SALT", OLASS_SALT)
        .arg("hash")
        .args(options)
        .arg("-o")
        .arg(output)
        .arg(input);
    exits(cmd, 0).await;
}

/// `ref,uuid` rows of an output file, header checked.
fn read_output(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("ref,uuid"));
    lines
        .map(|l| {
            let (r, u) = l.split_once(',').unwrap();
            (r.to_owned(), u.to_owned())
        })
        .collect()
}

/// Every ref exactly once, each with the server's UUID for it.
fn assert_matches_server(rows: &[(String, String)], server: &HashMap<String, String>) {
    assert_eq!(rows.len(), server.len(), "{rows:?}");
    let mut seen = std::collections::HashSet::new();
    for (r, u) in rows {
        assert!(seen.insert(r.clone()), "ref {r} answered twice");
        assert_eq!(server.get(r), Some(u), "ref {r}");
        assert_eq!(u.len(), 36);
    }
}

/// A people file of `n` distinct rows in the olass layout.
fn people(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::from("patid\tfirst\tlast\tdob\tsex\tzip\tcity\n");
    for i in 0..n {
        let (a, b) = (i % 26, i / 26);
        let first = format!("Ann{}{}", char::from(b'a' + a as u8), b);
        text.push_str(&format!(
            "P{i}\t{first}\tLee\t1980-02-03\tF\t3260{}\tGainesville\n",
            i % 10
        ));
    }
    let path = dir.join("people.tsv");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_then_link_and_run_give_the_servers_uuids() {
    let env = env().await;
    let (vectors, hashes) = env.hash_vectors().await;

    let linked = env.path("linked.csv");
    let mut cmd = env.link_to(&env.sys.idmap_url, &hashes, &linked);
    cmd.args(["--batch-size", "3"]);
    let err = exits(cmd, 0).await;
    assert!(
        err.contains("done: 8 rows done, 8 linked, 0 skipped"),
        "{err}"
    );
    assert!(!linked.with_extension("csv.idmap-state").exists());

    let server = env.server_answers(&hashes).await;
    assert_matches_server(&read_output(&linked), &server);

    // `run` hashes in memory and gets the same answers for the same refs.
    let ran = env.path("ran.csv");
    let mut cmd = env.run_rules(&env.sys.idmap_url, &vectors);
    cmd.arg("--no-screen").arg("-o").arg(&ran);
    exits(cmd, 0).await;
    assert_eq!(read_output(&ran), read_output(&linked));
    assert!(!env.dir.path().read_dir().unwrap().any(|e| {
        let name = e.unwrap().file_name();
        name.to_string_lossy().ends_with(".idmap-state")
    }));

    // The same output is not overwritten by accident.
    let err = exits(env.link_to(&env.sys.idmap_url, &hashes, &linked), 1).await;
    assert!(err.contains("--restart"));
}

/// Nothing in `dir` but `keep`: a run that linked nothing leaves no output
/// and no state file.
fn assert_left_only(dir: &Path, keep: &[&Path]) {
    let mut left: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !keep.contains(&p.as_path()))
        .collect();
    left.sort();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salt_mismatch_stops_with_exit_5_and_the_fixed_run_starts_afresh() {
    let env = env().await;
    let (vectors, hashes) = env.hash_vectors().await;
    let out_file = env.path("uuids.csv");
    let mut cmd = env.link_to(&env.sys.idmap_url, &hashes, &out_file);
    cmd.args([
        "--salt-fingerprint",
        &fingerprint("another salt of the wrong network"),
    ])
    .env_remove("IDMAP_SALT");
    let err = exits(cmd, 5).await;
    assert!(err.contains("salt mismatch"), "{err}");
    assert!(err.contains("every patient would get a new UUID"), "{err}");
    // Nothing reached the server, and the summary says so.
    assert!(err.contains("stopped: 0 rows done, 0 linked"), "{err}");
    assert!(!err.contains(" sent,"), "{err}");
    assert!(!err.contains("to resume"), "{err}");
    let next = err.lines().last().unwrap();
    assert_eq!(
        next,
        "idmap: next step: nothing was linked, and no output or state file was left; once \
         the salt (or key) is the network's, run the same command again"
    );
    assert_left_only(env.dir.path(), &[&hashes]);

    // With the right salt the same command runs, no --restart needed.
    exits(env.link_to(&env.sys.idmap_url, &hashes, &out_file), 0).await;
    assert_eq!(read_output(&out_file).len(), 8);

    // `run` with the wrong salt is refused the same way.
    let mut cmd = env.run_rules(&env.sys.idmap_url, &vectors);
    cmd.env("IDMAP_SALT", "0123456789abcdef0123456789abcdef");
    exits(cmd, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_an_abrupt_exit_sends_only_the_unanswered_batch_again() {
    let env = env().await;
    let input = people(env.dir.path(), 40);
    let hashes = env.hash(&input).await;
    let proxy = env.stand_in(Faults::default()).await;
    let output = env.path("uuids.csv");

    // Dies after 3 committed batches, with the 4th answered but unwritten.
    let mut cmd = env.link_to(&proxy.url, &hashes, &output);
    cmd.args(["--batch-size", "5", "--test-exit-after-batches", "3"]);
    exits(cmd, 86).await;
    assert_eq!(read_output(&output).len(), 15);
    assert!(PathBuf::from(format!("{}.idmap-state", output.display())).exists());

    // Another input is refused rather than mixed in.
    let other = env.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let other_hashes = other.join("h.tsv");
    hash_into(&people(&other, 39), &other_hashes, &["--rules", "F_L_D_Z"]).await;
    exits(env.link_to(&proxy.url, &other_hashes, &output), 1).await;

    let mut cmd = env.link_to(&proxy.url, &hashes, &output);
    cmd.args(["--batch-size", "5"]);
    let err = exits(cmd, 0).await;
    assert!(err.contains("resuming after row 15"), "{err}");

    let server = env.server_answers(&hashes).await;
    assert_matches_server(&read_output(&output), &server);
    // 40 rows, plus the one batch of 5 answered before the exit: resent once.
    let forwarded = proxy.faults.lock().unwrap().refs_forwarded.clone();
    assert_eq!(forwarded.len(), 45, "{forwarded:?}");
    assert_eq!(forwarded.iter().filter(|r| *r == "P15").count(), 2);
    assert_eq!(forwarded.iter().filter(|r| *r == "P20").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_kill_9_links_every_row_once() {
    let env = env().await;
    let slow = env.slow_run().await;
    let mut child = slow
        .command()
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_rows(&slow.output, 6).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = read_output(&slow.output).len();
    assert!((6..30).contains(&partial), "{partial}");

    slow.finish().await;
    // At most one batch (2 rows) was sent twice.
    let forwarded = slow.proxy.faults.lock().unwrap().refs_forwarded.len();
    assert!((30..=32).contains(&forwarded), "{forwarded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_renewed_during_a_long_run_and_after_a_401() {
    let env = env_with(
        Settings::default()
            .auth("AUTH_ACCESS_TOKEN_TTL", "2")
            .idmap("IDMAP_SALT_FINGERPRINTS", fingerprint(OLASS_SALT)),
    )
    .await;
    let input = people(env.dir.path(), 24);
    let hashes = env.hash(&input).await;

    // Tokens live 2 s; 12 requests of 300 ms outlast several of them.
    let slow = env
        .stand_in(Faults {
            delay: Duration::from_millis(300),
            ..Faults::default()
        })
        .await;
    let mut cmd = env.link(&slow.url, &hashes);
    cmd.args(["--batch-size", "2", "-v", "--progress-interval", "1"]);
    let err = exits(cmd, 0).await;
    let fetched = err.matches("fetched an access token").count();
    assert!(fetched >= 2, "{err}");
    // Not a terminal: plain periodic progress lines, as a cron log shows
    // them, each stamped with the UTC time, with the share read and an ETA.
    let line = err
        .lines()
        .find(|l| l.contains(" idmap link: progress: "))
        .unwrap_or_else(|| panic!("no progress line: {err}"));
    let (stamp, _) = line.split_once(' ').unwrap();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{line}"
    );
    assert!(
        line.contains("% of the input") && line.contains(", ETA "),
        "{line}"
    );
    assert!(slow.faults.lock().unwrap().tokens.len() >= 2);

    // A 401 (token revoked, say) makes the CLI fetch a new token at once.
    let revoked = env
        .stand_in(Faults {
            unauthorized: 1,
            ..Faults::default()
        })
        .await;
    let mut cmd = env.link(&revoked.url, &hashes);
    cmd.arg("-v");
    let err = exits(cmd, 0).await;
    assert!(err.contains("fetching a new token"), "{err}");
    assert_eq!(err.matches("fetched an access token").count(), 2, "{err}");
    assert_eq!(revoked.requests(), 2);

    // A 401 that persists with a fresh token is fatal (exit 3).
    let always = env
        .stand_in(Faults {
            unauthorized: 100,
            ..Faults::default()
        })
        .await;
    exits(env.link(&always.url, &hashes), 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_server_is_retried_then_given_up_then_resumed() {
    let env = env().await;
    let input = people(env.dir.path(), 12);
    let hashes = env.hash(&input).await;

    // 503 with Retry-After: 1, three times, then the real answers.
    let flaky = env
        .stand_in(Faults {
            unavailable: 3,
            ..Faults::default()
        })
        .await;
    let output = env.path("uuids.csv");
    let mut cmd = env.link_to(&flaky.url, &hashes, &output);
    cmd.args(["--batch-size", "4"]);
    let started = std::time::Instant::now();
    let err = exits(cmd, 0).await;
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "Retry-After honoured"
    );
    assert!(err.contains("503"), "{err}");
    assert!(err.contains("3 requests retried"), "{err}");
    let server = env.server_answers(&hashes).await;
    assert_matches_server(&read_output(&output), &server);

    // Down for longer than the retries allow: exit 4, then a rerun resumes.
    let down = env
        .stand_in(Faults {
            unavailable: 1000,
            ..Faults::default()
        })
        .await;
    let output = env.path("again.csv");
    let mut cmd = env.link_to(&down.url, &hashes, &output);
    cmd.args(["--retries", "2", "--batch-size", "4"]);
    let err = exits(cmd, 4).await;
    assert!(err.contains("after 2 attempts"), "{err}");
    let mut cmd = env.link_to(&env.sys.idmap_url, &hashes, &output);
    cmd.args(["--batch-size", "4"]);
    exits(cmd, 0).await;
    assert_matches_server(&read_output(&output), &server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_rows_are_reported_by_number_and_the_others_linked() {
    let env = env().await;
    let input = people(env.dir.path(), 10);
    let hashes = env.hash(&input).await;
    let server = env.server_answers(&hashes).await;

    // Damage row 5's first hash and drop row 7's ref.
    let damaged = env.edited(&hashes, "damaged.tsv", |lines| {
        lines[5] = lines[5].replacen("\t", "\tzz", 1);
        lines[7] = lines[7]
            .split_once('\t')
            .map(|(_, rest)| format!("\t{rest}"))
            .unwrap();
    });
    let output = env.path("uuids.csv");
    let err = exits(env.link_to(&env.sys.idmap_url, &damaged, &output), 2).await;
    assert!(err.contains("row 5: F_L_D_Z is not a hash"), "{err}");
    assert!(err.contains("row 7: no ref"), "{err}");
    assert!(err.contains("8 linked, 2 skipped"), "{err}");
    let rows = read_output(&output);
    assert_eq!(rows.len(), 8);
    for (r, u) in &rows {
        assert_eq!(server.get(r), Some(u));
    }

    // `run` with a bad date in the middle: reported without the value.
    let bad = env.edited(&input, "bad.tsv", |lines| {
        lines[4] = lines[4].replace("1980-02-03", "02/30/1980");
    });
    let err = exits(env.run_rules(&env.sys.idmap_url, &bad), 2).await;
    assert!(err.contains("row 4: dob:"), "{err}");
    assert!(!err.contains("02/30/1980") && !err.contains("Ann"), "{err}");

    // A row every rule skips names the fields, not their values.
    let no_dob = env.edited(&input, "no-dob.tsv", |lines| {
        lines[6] = lines[6]
            .replace("1980-02-03", "")
            .replace("Gainesville", "Unknown");
    });
    let out = run(env.run_rules(&env.sys.idmap_url, &no_dob)).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "row 6: no hash: every rule was skipped (empty: dob; placeholder: city); not sent"
        ),
        "{err}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1 + 9, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_and_bad_configuration_have_their_exit_codes() {
    let env = env().await;
    let (_, hashes) = env.hash_vectors().await;

    // A client without the link scope: 403 from the server, exit 3.
    let (reader_id, reader_secret) = env.sys.client(None, "idmap:read").await.unwrap();
    let mut cmd = env.cmd_as("link", &env.sys.idmap_url, &reader_id, &reader_secret);
    cmd.arg(&hashes);
    let err = exits(cmd, 3).await;
    assert!(err.contains("403"), "{err}");

    // A wrong secret: the token endpoint refuses, exit 3, secret not shown,
    // no file left; the next step names the credentials, and once they are
    // right the same command runs.
    let output = env.path("uuids.csv");
    let mut cmd = env.link_to(&env.sys.idmap_url, &hashes, &output);
    cmd.env("IDMAP_CLIENT_SECRET", "not-the-secret-123");
    let err = exits(cmd, 3).await;
    assert!(!err.contains("not-the-secret-123"));
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains("stopped: 0 rows done, 0 linked"), "{err}");
    let next = err.lines().last().unwrap();
    assert!(
        next.starts_with(
            "idmap: next step: nothing was linked, and no output or state file was left; fix"
        ),
        "{err}"
    );
    assert!(next.contains("client id or secret"), "{err}");
    assert_left_only(env.dir.path(), &[&hashes]);
    exits(env.link_to(&env.sys.idmap_url, &hashes, &output), 0).await;
    std::fs::remove_file(&output).unwrap();

    // --url aimed at the auth-server: the 404 names the URL and the server
    // it should be.
    let err = exits(env.link(&env.sys.auth_url, &hashes), 3).await;
    let url = format!("{}/api/v1/link", env.sys.auth_url.trim_end_matches('/'));
    assert!(err.contains("404 Not Found"), "{err}");
    assert!(err.contains(&url), "{err}");
    assert!(err.contains("must be the idmap-server's"), "{err}");

    // No secret at all, or an unknown option: exit 1.
    let mut cmd = env.link(&env.sys.idmap_url, &hashes);
    cmd.env_remove("IDMAP_CLIENT_SECRET");
    exits(cmd, 1).await;
    let mut cmd = idmap();
    cmd.args(["link", "--no-such-option"]);
    exits(cmd, 1).await;

    // A CA file that holds no certificate is a configuration error.
    let not_pem = env.path("ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let mut cmd = env.link(&env.sys.idmap_url, &hashes);
    cmd.arg("--ca-file").arg(&not_pem);
    let err = exits(cmd, 1).await;
    assert!(err.contains("CA file"), "{err}");

    // --insecure works but says loudly what it gives up.
    let mut cmd = env.link(&env.sys.idmap_url, &hashes);
    cmd.arg("--insecure");
    let err = exits(cmd, 0).await;
    assert!(err.contains("WARNING: --insecure"), "{err}");

    // The help documents the exit codes for cron.
    let mut cmd = idmap();
    cmd.args(["link", "--help"]);
    let out = run(cmd).await;
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("5  salt mismatch"), "{help}");
}

/// A network-defined key through the real servers: refused until an admin
/// registers its code, then linking two partners' records that the
/// built-in rules miss (a first-name variant), while a placeholder row
/// keeps only the rules that do not read its placeholder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_a_registered_match_key_and_screening() {
    let env = env().await;
    let config = env.path("network.toml");
    std::fs::write(
        &config,
        "[hash]\nrules = [\"F_L_D_Z\", \"L_D_Z\"]\n\n[[hash.keys]]\ncode = \"L_D_Z\"\nfields = [\"last\", \"dob\", \"zip\"]\n",
    )
    .unwrap();
    let ufh = env.path("ufh.tsv");
    std::fs::write(
        &ufh,
        "patid\tfirst\tlast\tdob\tzip\n\
         U1\tAnn\tLee\t1980-02-03\t32601\n\
         U2\tBaby Girl\tMoss\t2024-05-06\t32605\n",
    )
    .unwrap();
    let flm = env.path("flm.tsv");
    std::fs::write(
        &flm,
        "patid\tfirst\tlast\tdob\tzip\nF1\tAnne\tLee\t1980-02-03\t32601\n",
    )
    .unwrap();
    let run_as = |id: &str, secret: &str, input: &Path, output: &str| {
        let mut cmd = env.cmd_as("run", &env.sys.idmap_url, id, secret);
        cmd.arg("--config")
            .arg(&config)
            .arg(input)
            .arg("-o")
            .arg(env.path(output));
        cmd
    };

    // The server does not know the code yet: refused, exit 3, nothing linked.
    let err = exits(run_as(&env.id, &env.secret, &ufh, "refused.csv"), 3).await;
    assert!(err.contains("hashes[1].rule"), "{err}");

    // The admin step: register the key's code under idmap:admin.
    let admin = env.sys.client_token(None, "idmap:admin").await.unwrap();
    let r = env
        .sys
        .api(
            "/api/v1/admin/rules",
            Some(&admin),
            &json!({"code": "L_D_Z", "description": "last dob zip"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let err = exits(run_as(&env.id, &env.secret, &ufh, "ufh.csv"), 0).await;
    assert!(err.contains("done: 2 rows done, 2 linked"), "{err}");
    assert!(err.contains("first placeholder 1 row"), "{err}");
    assert!(!err.contains("Baby") && !err.contains("Moss"), "{err}");

    let (flm_id, flm_secret) = env.sys.client(Some("FLM"), "idmap:link").await.unwrap();
    exits(run_as(&flm_id, &flm_secret, &flm, "flm.csv"), 0).await;
    let ufh_rows = read_output(&env.path("ufh.csv"));
    let flm_rows = read_output(&env.path("flm.csv"));
    assert_eq!(
        flm_rows[0].1, ufh_rows[0].1,
        "Anne Lee is Ann Lee through L_D_Z"
    );
    assert_ne!(ufh_rows[1].1, ufh_rows[0].1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_says_where_it_stopped_and_the_same_command_resumes() {
    let env = env().await;
    let slow = env.slow_run().await;
    let child = slow
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_rows(&slow.output, 5).await;
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("idmap: error: interrupted by Ctrl-C"), "{err}");
    let done = read_output(&slow.output).len();
    let next = err.lines().last().unwrap();
    assert_eq!(
        next,
        format!(
            "idmap: next step: the rows linked so far are in {} (input rows 1 to {done} are \
             done); run the same command again: it resumes after row {done}",
            slow.output.display()
        ),
        "{err}"
    );

    let err = slow.finish().await;
    assert!(err.contains(&format!("resuming after row {done}")), "{err}");
}

/// Waits (30 s at most) until the output file holds `rows` rows.
async fn wait_for_rows(output: &Path, rows: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while read_output_lines(output) < rows {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lines in the output file so far (0 while it does not exist).
fn read_output_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_named_once_and_its_cause_said_once() {
    let env = env().await;
    let input = people(env.dir.path(), 3);
    // A port nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut cmd = env.run_rules(&closed, &input);
    cmd.args(["--retries", "3", "-o"])
        .arg(env.path("uuids.csv"));
    let err = exits(cmd, 4).await;
    let url = format!("{closed}/api/v1/link");
    let retries: Vec<&str> = err.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(retries.len(), 2, "{err}");
    assert!(
        retries[0].contains(&format!("attempt 1 failed at {url} (")),
        "{err}"
    );
    assert!(!retries[1].contains(&closed), "{err}");
    for line in err.lines() {
        assert!(line.matches("refused").count() <= 1, "said twice: {line}");
    }
    assert!(
        err.contains(&format!("giving up on {url} after 3 attempts")),
        "{err}"
    );
    assert!(err.lines().last().unwrap().contains("again later"), "{err}");
    assert_left_only(env.dir.path(), &[&input]);
}
