//! Memory stays flat however large the input: a generated file is streamed
//! through the real binary, and the child's peak resident set (`VmHWM` in
//! `/proc/<pid>/status`) is read while it is still running, after a tenth
//! of the rows and after all of them. The input is written through a pipe
//! that is closed only after the last reading, so the child cannot exit
//! before it is measured. `scripts/cli-memory.sh` measures larger files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OLASS_SALT, idmap};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Bound on the peak resident set of the CLI.
const MAX_PEAK_KIB: u64 = 64 * 1024;

/// Largest growth allowed between a tenth of the input and all of it.
const MAX_GROWTH_KIB: u64 = 8 * 1024;

fn peak_kib(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn row(i: usize) -> String {
    // Varied names and dates so that nothing is accidentally cached; no
    // 1900-01-01, which screening would skip as a placeholder.
    format!(
        "R{i},Name{i}x,Family{}y,19{:02}-{:02}-{:02},{},{},3{:04},City{}\n",
        i * 7,
        10 + i % 90,
        1 + i % 12,
        1 + i % 28,
        if i.is_multiple_of(2) { "F" } else { "M" },
        1 + i % 6,
        i % 10_000,
        i % 500
    )
}

/// Streams `rows` rows into `child`, returning the peaks after a tenth and
/// after all of them, then closes its input.
fn stream(mut child: Child, rows: usize) -> (u64, u64, Child) {
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"ref,first,last,dob,sex,race,zip,city\n")
        .unwrap();
    let mut early = 0;
    let mut chunk = String::new();
    for i in 0..rows {
        chunk.push_str(&row(i));
        if chunk.len() > 64 * 1024 {
            stdin.write_all(chunk.as_bytes()).unwrap();
            chunk.clear();
        }
        if i == rows / 10 {
            stdin.write_all(chunk.as_bytes()).unwrap();
            chunk.clear();
            std::thread::sleep(Duration::from_millis(200));
            early = peak_kib(&child);
        }
    }
    stdin.write_all(chunk.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Let the child drain the pipe before the reading.
    std::thread::sleep(Duration::from_millis(500));
    let late = peak_kib(&child);
    drop(stdin);
    (early, late, child)
}

/// Streams `rows` generated rows into `idmap <command>` (`cmd`, writing to
/// `output`), then asserts it succeeded, wrote a header and `rows` lines,
/// and kept its peak memory (at 10 % and at the end) within the bounds.
fn assert_streams_in_constant_memory(command: &str, mut cmd: Command, output: &Path, rows: usize) {
    let child = cmd
        .arg("-o")
        .arg(output)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (early, late, child) = stream(child, rows);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = std::fs::read_to_string(output).unwrap().lines().count();
    assert_eq!(lines, rows + 1);
    eprintln!("idmap {command}, {rows} rows: peak RSS {early} KiB at 10%, {late} KiB at 100%");
    assert!(late < MAX_PEAK_KIB, "peak {late} KiB");
    assert!(
        late - early < MAX_GROWTH_KIB,
        "grew from {early} to {late} KiB"
    );
}

#[test]
fn hash_streams_a_large_file_in_constant_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = idmap();
    cmd.env("IDMAP_SALT", OLASS_SALT).args([
        "hash",
        "--rules",
        "F_L_D_S,F_L_D_R,F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C",
    ]);
    assert_streams_in_constant_memory("hash", cmd, &dir.path().join("hashes.csv"), 300_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_links_a_large_file_in_constant_memory() {
    use idmap_e2e::System;
    use idmap_storage::Backend;
    use idmap_storage::testing::TestDatabase;

    let sys = System::start(TestDatabase::create(Backend::Sqlite).unwrap())
        .await
        .unwrap();
    let (id, secret) = sys.client(Some("MEM"), "idmap:link").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = idmap();
    cmd.env("IDMAP_SALT", OLASS_SALT)
        .env("IDMAP_CLIENT_SECRET", &secret)
        .args(["run", "--rules", "F_L_D_S,F_L_D_Z"])
        .args(["--url", &sys.idmap_url, "--issuer", &sys.auth_url])
        .args(["--client-id", &id, "--batch-size", "2000"]);
    let output = dir.path().join("uuids.csv");
    // Off the runtime's threads: the servers answer on them meanwhile.
    tokio::task::spawn_blocking(move || {
        assert_streams_in_constant_memory("run", cmd, &output, 40_000);
    })
    .await
    .unwrap();
}
