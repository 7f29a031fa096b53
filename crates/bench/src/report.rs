//! Results: one JSON line per scenario or companion, appended to a file so
//! that several invocations (services restarted on a larger registry for
//! scenario 8) make one table; and the table itself.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::procstat::Usage;

/// One scenario's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub requests: u64,
    pub patients_per_request: u64,
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub elapsed_s: f64,
    pub requests_per_s: f64,
    pub patients_per_s: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub usage: Vec<Usage>,
}

impl ScenarioResult {
    /// From a measured phase of an HTTP scenario.
    #[expect(clippy::too_many_arguments, reason = "a plain constructor of a record")]
    pub fn from_phase(
        name: &str,
        patients_per_request: u64,
        requests: u64,
        errors: u64,
        error_samples: Vec<String>,
        elapsed: Duration,
        histogram: &Histogram<u64>,
        usage: Vec<Usage>,
    ) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let ms = |q: f64| (requests > 0).then(|| histogram.value_at_quantile(q) as f64 / 1000.0);
        Self {
            name: name.into(),
            requests,
            patients_per_request,
            errors,
            error_samples,
            elapsed_s: secs,
            requests_per_s: requests as f64 / secs,
            patients_per_s: (requests * patients_per_request) as f64 / secs,
            p50_ms: ms(0.50),
            p99_ms: ms(0.99),
            max_ms: (requests > 0).then(|| histogram.max() as f64 / 1000.0),
            usage,
        }
    }

    /// A scenario that is one timed run (the CLI) of `patients`.
    pub fn single(
        name: &str,
        patients: u64,
        errors: u64,
        error_samples: Vec<String>,
        elapsed: Duration,
        usage: Vec<Usage>,
    ) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        Self {
            name: name.into(),
            requests: 1,
            patients_per_request: patients,
            errors,
            error_samples,
            elapsed_s: secs,
            requests_per_s: 1.0 / secs,
            patients_per_s: patients as f64 / secs,
            p50_ms: None,
            p99_ms: None,
            max_ms: Some(secs * 1000.0),
            usage,
        }
    }
}

/// One physical-limit companion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LimitResult {
    pub name: String,
    pub threads: usize,
    pub ops: u64,
    pub elapsed_s: f64,
    pub per_s: f64,
    /// What one operation is ("signatures", "bindings", ...).
    pub unit: String,
}

/// A line of the results file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Line {
    Scenario(ScenarioResult),
    Limit(LimitResult),
}

/// Appends `line` to `path` (and says so on stderr as progress).
pub fn append(path: &Path, line: &Line) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    writeln!(f, "{}", serde_json::to_string(line)?)?;
    match line {
        Line::Scenario(s) => eprintln!(
            "  {}: {:.0} req/s, {} errors",
            s.name, s.requests_per_s, s.errors
        ),
        Line::Limit(l) => eprintln!("  {}: {:.0} {}/s", l.name, l.per_s, l.unit),
    }
    Ok(())
}

/// Reads every line of a results file.
pub fn read(path: &Path) -> anyhow::Result<Vec<Line>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("bad results line"))
        .collect()
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

fn usage_of<'a>(s: &'a ScenarioResult, name: &str) -> Option<&'a Usage> {
    s.usage.iter().find(|u| u.name == name)
}

fn usage_cells(s: &ScenarioResult, name: &str) -> (String, String) {
    usage_of(s, name).map_or_else(
        || ("-".into(), "-".into()),
        |u| {
            (
                format!("{:.2}", u.cpu_s),
                format!("{:.1}", u.peak_rss_kib as f64 / 1024.0),
            )
        },
    )
}

/// The table of every scenario, then the companions and error samples.
pub fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    let header = [
        "scenario",
        "req/s",
        "patients/s",
        "p50 ms",
        "p99 ms",
        "requests",
        "errors",
        "secs",
        "auth CPU s",
        "auth MiB",
        "idmap CPU s",
        "idmap MiB",
        "cli CPU s",
        "cli MiB",
        "gen CPU s",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    let mut notes = Vec::new();
    for line in lines {
        let Line::Scenario(s) = line else { continue };
        let (auth_cpu, auth_rss) = usage_cells(s, "auth");
        let (idmap_cpu, idmap_rss) = usage_cells(s, "idmap");
        let (cli_cpu, cli_rss) = usage_cells(s, "cli");
        let gen_cpu = usage_of(s, "bench").map_or("-".into(), |u| format!("{:.2}", u.cpu_s));
        let mark = if s.errors > 0 { " (ERRORS)" } else { "" };
        rows.push(vec![
            format!("{}{mark}", s.name),
            format!("{:.0}", s.requests_per_s),
            if s.patients_per_request > 0 {
                format!("{:.0}", s.patients_per_s)
            } else {
                "-".into()
            },
            opt(s.p50_ms, 2),
            opt(s.p99_ms, 2),
            s.requests.to_string(),
            s.errors.to_string(),
            format!("{:.1}", s.elapsed_s),
            auth_cpu,
            auth_rss,
            idmap_cpu,
            idmap_rss,
            cli_cpu,
            cli_rss,
            gen_cpu,
        ]);
        for e in &s.error_samples {
            notes.push(format!("{}: {e}", s.name));
        }
    }
    table(&mut out, &rows);
    let limits: Vec<&LimitResult> = lines
        .iter()
        .filter_map(|l| {
            if let Line::Limit(l) = l {
                Some(l)
            } else {
                None
            }
        })
        .collect();
    if !limits.is_empty() {
        out.push_str("\nPhysical-limit companions\n");
        let mut rows = vec![vec![
            "companion".to_owned(),
            "threads".into(),
            "per s".into(),
            "unit".into(),
            "ops".into(),
            "secs".into(),
        ]];
        for l in limits {
            rows.push(vec![
                l.name.clone(),
                l.threads.to_string(),
                format!("{:.0}", l.per_s),
                l.unit.clone(),
                l.ops.to_string(),
                format!("{:.1}", l.elapsed_s),
            ]);
        }
        table(&mut out, &rows);
    }
    if !notes.is_empty() {
        out.push_str("\nErrors (first distinct samples)\n");
        for n in notes {
            out.push_str(&format!("  {n}\n"));
        }
    }
    out
}

/// Appends a Markdown-compatible pipe table.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (v, w))| {
                if c == 0 {
                    format!("{v:<w$}")
                } else {
                    format!("{v:>w$}")
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&format!("| {} |\n", rule.join(" | ")));
        }
    }
}
