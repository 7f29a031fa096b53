//! What the operator sees while a link runs: a progress bar with rate and ETA
//! when stderr is a terminal, plain periodic lines stamped with the UTC time
//! when it is not (a cron job mails or logs them), and one summary at the end.
//! Rate and ETA are measured from where this process began its own work, so
//! a resumed run is not credited with the rows the earlier run did.
//!
//! Messages go through [`Log`] so they do not tear the bar. Nothing printed
//! here carries PHI: row numbers, counts, status codes and server messages
//! only; hashes appear only at debug level (`-v`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

/// Prints messages on stderr, above the bar when there is one.
#[derive(Clone)]
pub struct Log {
    prefix: &'static str,
    bar: Option<ProgressBar>,
    verbose: bool,
    /// Lines carry the time when nobody watches them appear (a cron log).
    stamped: bool,
}

impl Log {
    /// A log for the subcommand named `prefix`; its lines carry a UTC
    /// timestamp when stderr is not a terminal.
    pub fn new(prefix: &'static str, verbose: bool) -> Self {
        Log {
            prefix,
            bar: None,
            verbose,
            stamped: !std::io::stderr().is_terminal(),
        }
    }

    /// Prints one line.
    pub fn info(&self, message: &str) {
        let line = if self.stamped {
            format!(
                "{} {}: {message}",
                timestamp(SystemTime::now()),
                self.prefix
            )
        } else {
            format!("{}: {message}", self.prefix)
        };
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Prints one line only with `-v` (hashes may appear here).
    pub fn debug(&self, message: &str) {
        if self.verbose {
            self.info(&format!("debug: {message}"));
        }
    }

    /// Whether debug lines are printed.
    pub fn verbose(&self) -> bool {
        self.verbose
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`: UTC, so that logs of sites in several time
/// zones (and the server's) line up.
pub fn timestamp(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Running totals of the batches committed to the output; saved in the
/// resume state so a resumed run reports the whole job. A batch the server
/// did not accept counts nowhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Input data rows done (linked or skipped).
    pub read: u64,
    /// Rows the server answered, written to the output.
    pub linked: u64,
    /// Rows not sent because of an input problem.
    pub skipped: u64,
    /// Requests that failed and were retried.
    pub retries: u64,
}

/// How progress is shown.
enum Display {
    Bar(ProgressBar),
    Lines { every: Duration, last: Instant },
    Silent,
}

/// Where the rate of this process is measured from: the time, input
/// position and rows done when its own work began (after the rows a
/// resumed run skips), so a resume does not count the earlier run's rows.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    at: Instant,
    position: u64,
    rows: u64,
}

/// Progress of one run.
pub struct Progress {
    display: Display,
    start: Instant,
    baseline: Baseline,
    total_bytes: Option<u64>,
    log: Log,
}

/// How to show progress.
#[derive(Debug, Clone, Copy)]
pub struct ProgressOptions {
    /// Nothing but errors.
    pub quiet: bool,
    /// Interval of the plain lines when stderr is not a terminal.
    pub every: Duration,
    /// Input size in bytes, for the ETA; `None` for a pipe.
    pub total_bytes: Option<u64>,
}

impl Progress {
    /// Chooses bar or lines from whether stderr is a terminal.
    pub fn start(options: ProgressOptions, mut log: Log) -> Self {
        let display = if options.quiet {
            Display::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(
                options.total_bytes,
                ProgressDrawTarget::stderr_with_hz(4),
            );
            let template = if options.total_bytes.is_some() {
                "{spinner} [{elapsed_precise}] [{wide_bar}] {percent}% {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            log.bar = Some(bar.clone());
            Display::Bar(bar)
        } else {
            Display::Lines {
                every: options.every,
                last: Instant::now(),
            }
        };
        let now = Instant::now();
        Progress {
            display,
            start: now,
            baseline: Baseline {
                at: now,
                position: 0,
                rows: 0,
            },
            total_bytes: options.total_bytes,
            log,
        }
    }

    /// The log to use while the bar is shown.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Marks where this process's own work begins: after the rows that an
    /// unfinished run had done (read again, not sent), which would
    /// otherwise make the first rates and ETAs absurd.
    pub fn begin(&mut self, position: u64, rows_done: u64) {
        self.baseline = Baseline {
            at: Instant::now(),
            position,
            rows: rows_done,
        };
        if let Display::Bar(bar) = &self.display {
            bar.set_position(position);
        }
    }

    /// Updates the display after a batch.
    pub fn update(&mut self, counts: &Counts, position: u64) {
        let since = self.baseline.at.elapsed();
        let rate = rate(counts.read.saturating_sub(self.baseline.rows), since);
        let eta = self
            .total_bytes
            .and_then(|total| eta(total, self.baseline.position, position, since))
            .map(|left| format!(", ETA {}", short_duration(left)))
            .unwrap_or_default();
        let elapsed = self.start.elapsed();
        match &mut self.display {
            Display::Bar(bar) => {
                bar.set_position(position);
                bar.set_message(format!(
                    "{} rows, {} linked, {} skipped, {rate:.0} rows/s{eta}",
                    counts.read, counts.linked, counts.skipped
                ));
            }
            Display::Lines { every, last } => {
                if last.elapsed() >= *every {
                    *last = Instant::now();
                    let done = self
                        .total_bytes
                        .filter(|&total| total > 0)
                        .map(|total| {
                            format!(
                                ", {:.0}% of the input",
                                100.0 * position as f64 / total as f64
                            )
                        })
                        .unwrap_or_default();
                    self.log.info(&format!(
                        "progress: {} rows done, {} linked, {} skipped{done}, {rate:.0} rows/s{eta}, {:.0} s elapsed",
                        counts.read,
                        counts.linked,
                        counts.skipped,
                        elapsed.as_secs_f64()
                    ));
                }
            }
            Display::Silent => {}
        }
    }

    /// Removes the bar and prints the summary line (unless quiet).
    pub fn finish(&mut self, counts: &Counts, how: &str) {
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
        }
        self.log.bar = None;
        if matches!(self.display, Display::Silent) {
            return;
        }
        self.log
            .info(&summary_line(counts, how, self.start.elapsed()));
    }
}

/// Rows per second.
fn rate(rows: u64, over: Duration) -> f64 {
    rows as f64 / over.as_secs_f64().max(0.001)
}

/// Time left to read the input up to `total` bytes, at the pace of the
/// bytes read since `from` over `elapsed`; `None` before there is a pace.
pub fn eta(total: u64, from: u64, position: u64, elapsed: Duration) -> Option<Duration> {
    let done = position.checked_sub(from).filter(|&d| d > 0)?;
    let left = total.saturating_sub(position);
    Some(elapsed.mul_f64(left as f64 / done as f64))
}

/// `45 s`, `12 min 5 s`, `3 h 20 min`.
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// The final summary: what happened to the rows, and how long it took.
pub fn summary_line(counts: &Counts, how: &str, elapsed: Duration) -> String {
    format!(
        "{how}: {} rows done, {} linked, {} skipped (input problems), {} requests retried, {:.1} s elapsed",
        counts.read,
        counts.linked,
        counts.skipped,
        counts.retries,
        elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_every_count() {
        let counts = Counts {
            read: 10,
            linked: 8,
            skipped: 2,
            retries: 2,
        };
        assert_eq!(
            summary_line(&counts, "done", Duration::from_millis(1500)),
            "done: 10 rows done, 8 linked, 2 skipped (input problems), 2 requests retried, 1.5 s elapsed"
        );
    }

    #[test]
    fn eta_counts_only_what_this_run_read() {
        // Resumed at a third of the file; another sixth read in 10 s.
        let eta = eta(600, 200, 300, Duration::from_secs(10)).unwrap();
        assert_eq!(eta, Duration::from_secs(30));
        assert_eq!(
            super::eta(600, 200, 200, Duration::from_secs(10)),
            None,
            "no pace yet"
        );
        assert_eq!(
            super::eta(600, 0, 600, Duration::from_secs(10)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(Duration::from_millis(44_600)), "45 s");
        assert_eq!(short_duration(Duration::from_secs(725)), "12 min 5 s");
        assert_eq!(short_duration(Duration::from_secs(12_000)), "3 h 20 min");
    }

    #[test]
    fn timestamps_are_utc_to_the_second() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_313_004_250);
        assert_eq!(timestamp(at), "2026-12-03T15:50:04Z");
    }
}
