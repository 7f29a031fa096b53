//! What the operator sees while a link runs: a progress bar with rate and ETA
//! when stderr is a terminal, plain periodic lines when it is not (a cron job
//! mails or logs them), and one summary at the end.
//!
//! Messages go through [`Log`] so they do not tear the bar. Nothing printed
//! here carries PHI: row numbers, counts, status codes and server messages
//! only; hashes appear only at debug level (`-v`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Prints messages on stderr, above the bar when there is one.
#[derive(Clone)]
pub struct Log {
    prefix: &'static str,
    bar: Option<ProgressBar>,
    verbose: bool,
}

impl Log {
    /// A log for the subcommand named `prefix`.
    pub fn new(prefix: &'static str, verbose: bool) -> Self {
        Log {
            prefix,
            bar: None,
            verbose,
        }
    }

    /// Prints one line.
    pub fn info(&self, message: &str) {
        let line = format!("{}: {message}", self.prefix);
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

/// Running totals; saved in the resume state so a resumed run reports the
/// whole job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Data rows read from the input.
    pub read: u64,
    /// Rows sent to the server (resends of an unanswered batch count again).
    pub sent: u64,
    /// Rows answered and written to the output.
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

/// Progress of one run.
pub struct Progress {
    display: Display,
    start: Instant,
    /// Rows already done when this process started (resume).
    rows_at_start: u64,
    log: Log,
}

/// How to show progress.
#[derive(Debug, Clone, Copy)]
pub struct ProgressOptions {
    /// Nothing but errors.
    pub quiet: bool,
    /// Interval of the plain lines when stderr is not a terminal.
    pub every: Duration,
    /// Input size in bytes, for the bar's ETA; `None` for a pipe.
    pub total_bytes: Option<u64>,
}

impl Progress {
    /// Chooses bar or lines from whether stderr is a terminal.
    pub fn start(options: ProgressOptions, mut log: Log, rows_at_start: u64) -> Self {
        let display = if options.quiet {
            Display::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = match options.total_bytes {
                Some(total) => ProgressBar::with_draw_target(
                    Some(total),
                    ProgressDrawTarget::stderr_with_hz(4),
                ),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4)),
            };
            let template = if options.total_bytes.is_some() {
                "{spinner} [{elapsed_precise}] [{wide_bar}] {percent}% {msg} ETA {eta}"
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
        Progress {
            display,
            start: Instant::now(),
            rows_at_start,
            log,
        }
    }

    /// The log to use while the bar is shown.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Rows per second in this process.
    fn rate(&self, counts: &Counts) -> f64 {
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        counts.read.saturating_sub(self.rows_at_start) as f64 / secs
    }

    /// Updates the display after a batch.
    pub fn update(&mut self, counts: &Counts, position: u64) {
        let rate = self.rate(counts);
        let elapsed = self.start.elapsed();
        match &mut self.display {
            Display::Bar(bar) => {
                bar.set_position(position);
                bar.set_message(format!(
                    "{} rows, {} linked, {} skipped, {rate:.0} rows/s",
                    counts.read, counts.linked, counts.skipped
                ));
            }
            Display::Lines { every, last } => {
                if last.elapsed() >= *every {
                    *last = Instant::now();
                    self.log.info(&format!(
                        "progress: {} rows read, {} linked, {} skipped, {rate:.0} rows/s, {:.0} s elapsed",
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

/// The final summary: what happened to every row, and how long it took.
pub fn summary_line(counts: &Counts, how: &str, elapsed: Duration) -> String {
    format!(
        "{how}: {} rows read, {} sent, {} linked, {} skipped (input problems), {} requests retried, {:.1} s elapsed",
        counts.read,
        counts.sent,
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
            sent: 9,
            linked: 8,
            skipped: 1,
            retries: 2,
        };
        assert_eq!(
            summary_line(&counts, "done", Duration::from_millis(1500)),
            "done: 10 rows read, 9 sent, 8 linked, 1 skipped (input problems), 2 requests retried, 1.5 s elapsed"
        );
    }
}
