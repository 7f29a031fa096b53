//! CPU time and peak memory of a process, read from `/proc` (Linux).
//!
//! CPU is `utime + stime` of `/proc/<pid>/stat` in clock ticks; peak RSS is
//! `VmHWM` of `/proc/<pid>/status`, reset at the start of a scenario by
//! writing `5` to `/proc/<pid>/clear_refs` (allowed for our own children or
//! as root). When the reset is refused, the largest `VmRSS` seen by a
//! sampler is reported instead, so a figure always covers the scenario only.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// User plus system CPU seconds consumed so far by `pid` (`self` allowed).
pub fn cpu_seconds(pid: &str, ticks: u64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces: fields start after its `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // Fields 14 and 15 of stat(5); `rest` starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / ticks.max(1) as f64)
}

/// A `Vm*` line of `/proc/<pid>/status`, in KiB.
pub fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What one process used during a scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Usage {
    pub name: String,
    pub cpu_s: f64,
    pub peak_rss_kib: u64,
}

/// Watches a set of processes over one scenario.
pub struct Watch {
    procs: Vec<Watched>,
    ticks: u64,
    stop: Arc<AtomicBool>,
    sampler: Option<tokio::task::JoinHandle<()>>,
}

struct Watched {
    name: String,
    pid: String,
    cpu_start: f64,
    hwm_reset: bool,
    max_rss: Arc<AtomicU64>,
}

impl Watch {
    /// Starts watching `(name, pid)` pairs; `pid` may be `self`.
    pub fn start(procs: &[(String, String)], ticks: u64) -> Self {
        let procs: Vec<Watched> = procs
            .iter()
            .map(|(name, pid)| Watched {
                name: name.clone(),
                pid: pid.clone(),
                cpu_start: cpu_seconds(pid, ticks).unwrap_or(0.0),
                hwm_reset: std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok(),
                max_rss: Arc::new(AtomicU64::new(status_kib(pid, "VmRSS").unwrap_or(0))),
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let targets: Vec<(String, Arc<AtomicU64>)> = procs
            .iter()
            .map(|p| (p.pid.clone(), p.max_rss.clone()))
            .collect();
        let flag = stop.clone();
        let sampler = tokio::spawn(async move {
            while !flag.load(Ordering::Relaxed) {
                for (pid, max) in &targets {
                    if let Some(rss) = status_kib(pid, "VmRSS") {
                        max.fetch_max(rss, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self {
            procs,
            ticks,
            stop,
            sampler: Some(sampler),
        }
    }

    /// Stops the sampler and returns each process's CPU time and peak RSS.
    pub async fn finish(mut self) -> Vec<Usage> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(s) = self.sampler.take() {
            let _ = s.await;
        }
        self.procs
            .iter()
            .map(|p| {
                let sampled = p.max_rss.load(Ordering::Relaxed);
                let hwm = if p.hwm_reset {
                    status_kib(&p.pid, "VmHWM")
                } else {
                    None
                };
                Usage {
                    name: p.name.clone(),
                    cpu_s: cpu_seconds(&p.pid, self.ticks).unwrap_or(p.cpu_start) - p.cpu_start,
                    peak_rss_kib: hwm.unwrap_or(0).max(sampled),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        assert!(cpu_seconds("self", clock_ticks()).is_some());
        assert!(status_kib("self", "VmRSS").unwrap() > 0);
    }
}
