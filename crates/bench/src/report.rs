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
    /// The server measured, when runs against several are compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
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
            system: None,
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
            system: None,
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

/// CPU seconds and peak RSS of the processes watched as `name`, summed
/// over them (a server of several processes, such as a cluster's workers).
fn usage_of(s: &ScenarioResult, name: &str) -> Option<(f64, u64)> {
    s.usage
        .iter()
        .filter(|u| u.name == name)
        .map(|u| (u.cpu_s, u.peak_rss_kib))
        .reduce(|(cpu, rss), (c, r)| (cpu + c, rss + r))
}

fn usage_cells(s: &ScenarioResult, name: &str) -> (String, String) {
    usage_of(s, name).map_or_else(
        || ("-".into(), "-".into()),
        |(cpu_s, rss_kib)| {
            (
                format!("{cpu_s:.2}"),
                format!("{:.1}", rss_kib as f64 / 1024.0),
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
        let gen_cpu = usage_of(s, "bench").map_or("-".into(), |(cpu_s, _)| format!("{cpu_s:.2}"));
        let mark = if s.errors > 0 { " (ERRORS)" } else { "" };
        let system = s
            .system
            .as_ref()
            .map_or_else(String::new, |n| format!(" [{n}]"));
        rows.push(vec![
            format!("{}{system}{mark}", s.name),
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
    let compared = side_by_side(lines);
    if !compared.is_empty() {
        out.push_str("\nSide by side (CPU: the server's, all its processes, per request)\n");
        table(&mut out, &compared);
    }
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

/// Scenarios measured on more than one named system: a row per scenario
/// with each system's rate, p99 and CPU per request, then the first
/// system's rate over each other's and each other's CPU per request over
/// the first's. CPU per request is the figure that holds on a loaded
/// machine, where the rates follow the other load. Empty when fewer than
/// two systems were named.
fn side_by_side(lines: &[Line]) -> Vec<Vec<String>> {
    let named: Vec<(&str, &ScenarioResult)> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Scenario(s) => Some((s.system.as_deref()?, s)),
            Line::Limit(_) => None,
        })
        .collect();
    let mut systems: Vec<&str> = Vec::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for &(system, s) in &named {
        if !systems.contains(&system) {
            systems.push(system);
        }
        if !scenarios.contains(&s.name.as_str()) {
            scenarios.push(&s.name);
        }
    }
    if systems.len() < 2 {
        return Vec::new();
    }
    let find = |scenario: &str, system: &str| {
        named
            .iter()
            .find(|(n, s)| *n == system && s.name == scenario && s.errors == 0)
            .map(|(_, s)| *s)
    };
    let (first_system, others) = (systems[0], &systems[1..]);
    let mut header = vec!["scenario".to_owned()];
    header.extend(systems.iter().map(|s| (*s).to_owned()));
    for other in others {
        header.push(format!("req/s, {first_system} / {other}"));
        header.push(format!("CPU/request, {other} / {first_system}"));
    }
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    };
    let mut rows = vec![header];
    for scenario in scenarios {
        let mut row = vec![scenario.to_owned()];
        for &system in &systems {
            row.push(find(scenario, system).map_or_else(
                || "-".into(),
                |s| {
                    let cpu = cpu_per_request_us(s)
                        .map_or_else(String::new, |us| format!(", CPU {us:.0} µs/request"));
                    format!(
                        "{:.0}/s, p99 {} ms{cpu}",
                        s.requests_per_s,
                        opt(s.p99_ms, 1)
                    )
                },
            ));
        }
        let first = find(scenario, first_system);
        for &other in others {
            let other = find(scenario, other);
            row.push(ratio(
                first.map(|s| s.requests_per_s),
                other.map(|s| s.requests_per_s),
            ));
            row.push(ratio(
                other.and_then(cpu_per_request_us),
                first.and_then(cpu_per_request_us),
            ));
        }
        rows.push(row);
    }
    rows
}

/// The authorization server's CPU time (every process watched as `auth`)
/// per request of the window, in microseconds.
fn cpu_per_request_us(s: &ScenarioResult) -> Option<f64> {
    let (cpu_s, _) = usage_of(s, "auth")?;
    (s.requests > 0).then(|| cpu_s * 1e6 / s.requests as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, system: Option<&str>, requests_per_s: f64, errors: u64) -> Line {
        Line::Scenario(ScenarioResult {
            name: name.into(),
            system: system.map(str::to_owned),
            requests: 100,
            patients_per_request: 0,
            errors,
            error_samples: Vec::new(),
            elapsed_s: 1.0,
            requests_per_s,
            patients_per_s: 0.0,
            p50_ms: Some(1.0),
            p99_ms: Some(2.5),
            max_ms: Some(3.0),
            usage: vec![
                Usage {
                    name: "auth".into(),
                    cpu_s: 0.5,
                    peak_rss_kib: 1024,
                },
                Usage {
                    name: "auth".into(),
                    cpu_s: 0.25,
                    peak_rss_kib: 2048,
                },
            ],
        })
    }

    #[test]
    fn systems_are_compared_side_by_side() {
        let mut lines = [
            scenario("1 token", Some("ours"), 3000.0, 0),
            scenario("2 introspect", Some("ours"), 9000.0, 0),
            scenario("1 token", Some("peer"), 2000.0, 0),
            scenario("2 introspect", Some("peer"), 4500.0, 3),
        ];
        if let Line::Scenario(peer) = &mut lines[2] {
            peer.usage[0].cpu_s = 1.25;
        }
        let rows = side_by_side(&lines);
        assert_eq!(
            rows[0],
            [
                "scenario",
                "ours",
                "peer",
                "req/s, ours / peer",
                "CPU/request, peer / ours"
            ]
        );
        // 0.75 and 1.5 CPU s over 100 requests.
        assert_eq!(
            rows[1],
            [
                "1 token",
                "3000/s, p99 2.5 ms, CPU 7500 µs/request",
                "2000/s, p99 2.5 ms, CPU 15000 µs/request",
                "1.50",
                "2.00"
            ]
        );
        // A run with errors is no figure to compare.
        assert_eq!(
            rows[2],
            [
                "2 introspect",
                "9000/s, p99 2.5 ms, CPU 7500 µs/request",
                "-",
                "-",
                "-"
            ]
        );
        let text = render(&lines);
        assert!(text.contains("Side by side"), "{text}");
        assert!(text.contains("1 token [peer]"), "{text}");
    }

    #[test]
    fn one_system_gets_no_comparison() {
        let lines = [
            scenario("1 token", None, 3000.0, 0),
            scenario("2 introspect", Some("ours"), 9000.0, 0),
        ];
        assert!(side_by_side(&lines).is_empty());
        assert!(!render(&lines).contains("Side by side"));
    }

    #[test]
    fn processes_of_one_name_are_summed() {
        let Line::Scenario(s) = scenario("1 token", None, 1.0, 0) else {
            unreachable!()
        };
        assert_eq!(usage_cells(&s, "auth"), ("0.75".into(), "3.0".into()));
        assert_eq!(usage_cells(&s, "idmap"), ("-".into(), "-".into()));
    }

    #[test]
    fn results_without_a_system_still_read() {
        let old = r#"{"kind":"scenario","name":"1 token","requests":1,"patients_per_request":0,"errors":0,"error_samples":[],"elapsed_s":1.0,"requests_per_s":1.0,"patients_per_s":0.0,"p50_ms":1.0,"p99_ms":1.0,"max_ms":1.0,"usage":[]}"#;
        let Line::Scenario(s) = serde_json::from_str(old).unwrap() else {
            panic!("not a scenario")
        };
        assert_eq!(s.system, None);
    }
}
