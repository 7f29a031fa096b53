//! Scenario 7: the partner CLI end to end. Generates a CSV of synthetic
//! identifying fields (the generator of `scripts/cli-memory.sh`), runs
//! `idmap run` on it under `/usr/bin/time` for its wall time, CPU and peak
//! RSS, and watches the services meanwhile.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};

use super::Drive;
use super::auth::Client;
use crate::procstat::{Usage, Watch};
use crate::report::ScenarioResult;

/// Where and how to run the CLI.
#[derive(Debug, Clone)]
pub struct CliRun {
    pub bin: PathBuf,
    pub rows: u64,
    pub batch_size: u64,
    pub idmap_url: String,
    pub issuer: String,
    pub client: Client,
    pub work_dir: PathBuf,
}

/// Writes `rows` synthetic patients with every field the rules use. Birth
/// years start at 1920 so that no row carries a placeholder date such as
/// 1900-01-01, which the CLI screens out and reports as a skipped row.
pub fn generate_csv(path: &Path, rows: u64) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "ref,first,last,dob,sex,race,zip,city")?;
    for i in 0..rows {
        writeln!(
            w,
            "R{i},Name{i}x,Family{}y,{}-{:02}-{:02},{},{},3{:04},City{}",
            i * 7,
            1920 + i % 80,
            1 + i % 12,
            1 + i % 28,
            if i % 2 == 1 { "M" } else { "F" },
            1 + i % 6,
            i % 10_000,
            i % 500
        )?;
    }
    w.flush()?;
    Ok(())
}

/// Runs the CLI once and reports it as one "request" of `rows` patients.
pub async fn run(name: &str, cli: &CliRun, drive: &Drive) -> anyhow::Result<ScenarioResult> {
    std::fs::create_dir_all(&cli.work_dir)?;
    let input = cli.work_dir.join("people.csv");
    let output = cli.work_dir.join("uuids.csv");
    let timing = cli.work_dir.join("time.txt");
    let _ = std::fs::remove_file(&output);
    generate_csv(&input, cli.rows)?;
    let salt = hex::encode(crate::data::hash(cli.rows, 42, 0).as_bytes());

    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = tokio::process::Command::new("/usr/bin/time");
        c.arg("-f")
            .arg("%M %U %S")
            .arg("-o")
            .arg(&timing)
            .arg(&cli.bin);
        c
    } else {
        tokio::process::Command::new(&cli.bin)
    };
    command
        .args(["run", "--rules", "F_L_D_S,F_L_D_Z", "--url", &cli.idmap_url])
        // `=`: generated client ids may start with '-'.
        .args(["--issuer", &cli.issuer])
        .arg(format!("--client-id={}", cli.client.id))
        .args(["--batch-size", &cli.batch_size.to_string()])
        .args(["--progress-interval", "3600", "-o"])
        .arg(&output)
        .arg(&input)
        .env("IDMAP_CLIENT_SECRET", &cli.client.secret)
        .env("IDMAP_SALT", salt)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);

    let watch = Watch::start(&drive.watch, drive.ticks);
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {}", cli.bin.display()))?;
    let out = child.wait_with_output().await?;
    let elapsed = started.elapsed();
    let mut usage = watch.finish().await;

    let mut samples = Vec::new();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.trim().lines().rev().take(3).collect();
        samples.push(format!(
            "idmap run exited with {}: {}",
            out.status,
            tail.join(" | ")
        ));
    }
    let linked = count_lines(&output).saturating_sub(1);
    if out.status.success() && linked != cli.rows {
        samples.push(format!("{linked} of {} rows in the output", cli.rows));
    }
    usage.push(cli_usage(&timing, timed)?);
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    let errors = u64::from(!samples.is_empty());
    Ok(ScenarioResult::single(
        name, cli.rows, errors, samples, elapsed, usage,
    ))
}

fn count_lines(path: &Path) -> u64 {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64)
}

fn cli_usage(timing: &Path, timed: bool) -> anyhow::Result<Usage> {
    if !timed {
        return Ok(Usage {
            name: "cli".into(),
            ..Usage::default()
        });
    }
    let text = std::fs::read_to_string(timing).context("no /usr/bin/time output")?;
    let last = text.lines().last().unwrap_or_default();
    let f: Vec<&str> = last.split_whitespace().collect();
    let [rss, user, sys] = f[..] else {
        bail!("unexpected /usr/bin/time output: {last}");
    };
    Ok(Usage {
        name: "cli".into(),
        cpu_s: user.parse::<f64>()? + sys.parse::<f64>()?,
        peak_rss_kib: rss.parse()?,
    })
}
