//! Exit codes, so that a cron job (or the script around it) can tell "done",
//! "done but some rows were not linked", "the server said no", "the network
//! never came back" and "wrong salt" apart without parsing messages.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | every row was linked (or hashed) |
//! | 1 | usage, configuration or local I/O problem; nothing more was sent |
//! | 2 | the run finished, but some input rows were skipped (reported by row number) |
//! | 3 | the server refused a request (4xx other than 429): fix and rerun, the run resumes |
//! | 4 | a transient failure (network, 429, 5xx) persisted after every retry: rerun later, the run resumes |
//! | 5 | salt mismatch (422 `salt_mismatch`): this site's salt is not the network's |
//! | 130 | interrupted (Ctrl-C, or SIGTERM): the run resumes |
//!
//! A run that stops also says what to do next ([`next_step`]), because the
//! right step differs: resume, fix a credential, or fix the salt.

use std::path::Path;
use std::process::ExitCode;

/// Usage or configuration problem.
pub const USAGE: u8 = 1;
/// Finished with some rows skipped.
pub const ROWS_SKIPPED: u8 = 2;
/// The server refused a request.
pub const REFUSED: u8 = 3;
/// Transient failures outlasted the retries.
pub const TRANSIENT: u8 = 4;
/// The salt fingerprint does not match the network's.
pub const SALT_MISMATCH: u8 = 5;
/// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// The table above, for `--help`.
pub const HELP: &str = "\
Exit codes (for cron):
  0  every row was linked
  1  usage, configuration or local I/O problem
  2  finished, but some input rows were skipped (listed by row number on stderr;
     link and run only: hash writes such rows with empty cells and exits 0)
  3  the server refused a request (4xx other than 429); fix the cause and rerun
  4  network errors, 429 or 5xx persisted after every retry; rerun later
  5  salt mismatch: this site's salt or key is not the network's (nothing more is sent)
  130  interrupted by Ctrl-C or SIGTERM
A run that stops with 3, 4 or 130 (or is killed) after some batches were linked
resumes after them when run again with the same output file; one that linked
nothing leaves no output or state file. The last line says what to do next.";

/// How a finished command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was processed.
    Complete,
    /// The run finished, but some rows were skipped.
    RowsSkipped,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> ExitCode {
        match self {
            Outcome::Complete => ExitCode::SUCCESS,
            Outcome::RowsSkipped => ExitCode::from(ROWS_SKIPPED),
        }
    }
}

/// Failures that have an exit code of their own (everything else is 1).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The server refused a request; the message is the server's.
    #[error("the server refused the request: {0}")]
    Refused(String),
    /// Retries ran out.
    #[error("giving up on {target} after {attempts} attempts over {elapsed_s:.0} s: {last}")]
    Transient {
        /// The URL that kept failing.
        target: String,
        /// Attempts made.
        attempts: u32,
        /// Seconds spent.
        elapsed_s: f64,
        /// The last failure.
        last: String,
    },
    /// The server's salt fingerprints do not include ours.
    #[error(
        "salt mismatch: the server refused our salt fingerprint {fingerprint} (422 salt_mismatch). \
         The salt or HMAC key configured here is not the one the network uses, so every patient \
         would get a new UUID; nothing more was sent. Check the salt file (or key file) against \
         the network operator's fingerprint (`idmap hash --print-fingerprint` prints ours)"
    )]
    SaltMismatch {
        /// The fingerprint we sent.
        fingerprint: String,
    },
    /// The operator (or a supervisor) stopped the run.
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
}

impl Failure {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Refused(_) => REFUSED,
            Failure::Transient { .. } => TRANSIENT,
            Failure::SaltMismatch { .. } => SALT_MISMATCH,
            Failure::Interrupted(_) => INTERRUPTED,
        }
    }
}

/// The exit code for an error returned by a command.
pub fn code_of(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map_or(USAGE, Failure::code)
}

/// What to do next, attached to the error of a stopped run as its outer
/// context; `main` prints it on a line of its own after the error.
#[derive(Debug)]
pub struct NextStep(pub String);

impl std::fmt::Display for NextStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The error's causes joined by `: `, each said once: a wrapping error often
/// repeats the text of its source (`cannot read F: No such file` over `No
/// such file`), and [`NextStep`] is printed apart.
pub fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    // The step is always the outermost context.
    let skip = usize::from(err.downcast_ref::<NextStep>().is_some());
    for cause in err.chain().skip(skip) {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// A resume the state file refuses (another input, salt or options): the
/// message itself says how to start over, so no other step is suggested.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ResumeRefused(pub String);

/// What a stopped `link` or `run` leaves behind.
#[derive(Debug, Clone, Copy)]
pub enum Kept<'a> {
    /// The rows went to standard output: there is nothing to resume.
    Stream,
    /// Nothing was linked, and the output and its state file were removed.
    Nothing,
    /// The output holds the rows of the batches linked so far, and its
    /// state file where to resume.
    Resumable {
        /// The output file.
        output: &'a Path,
        /// Input rows done.
        rows_done: u64,
    },
}

/// The line that tells the operator what to do after `err` stopped a run,
/// or `None` when the error already says it.
pub fn next_step(err: &anyhow::Error, kept: Kept<'_>) -> Option<String> {
    if err.chain().any(|cause| cause.is::<ResumeRefused>()) {
        return None;
    }
    let failure = err.chain().find_map(|c| c.downcast_ref::<Failure>());
    let kept_text = match kept {
        Kept::Stream => String::new(),
        Kept::Nothing => "nothing was linked, and no output or state file was left; ".to_owned(),
        Kept::Resumable { output, rows_done } => format!(
            "the rows linked so far are in {} (input rows 1 to {rows_done} are done); ",
            output.display()
        ),
    };
    let resumes = match kept {
        Kept::Resumable { rows_done, .. } => format!(": it resumes after row {rows_done}"),
        Kept::Stream | Kept::Nothing => String::new(),
    };
    let step = match failure {
        Some(Failure::SaltMismatch { .. }) => match kept {
            Kept::Resumable { .. } => {
                "once the salt (or key) is the network's, run the command with --restart: the \
                 rows already linked were hashed with the salt now refused"
                    .to_owned()
            }
            Kept::Stream | Kept::Nothing => {
                "once the salt (or key) is the network's, run the same command again".to_owned()
            }
        },
        Some(Failure::Refused(_)) => format!(
            "fix what the server refused (a 401 or invalid_client: the client id or secret; \
             a 403: the client's scope; a 404: --url), then run the same command again{resumes}"
        ),
        Some(Failure::Transient { .. }) => {
            format!("run the same command again later{resumes}")
        }
        Some(Failure::Interrupted(_)) => format!("run the same command again{resumes}"),
        None => format!("fix the cause above, then run the same command again{resumes}"),
    };
    Some(format!("{kept_text}{step}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn failures_keep_their_code_through_context() {
        let err = Err::<(), _>(Failure::SaltMismatch {
            fingerprint: "0123456789abcdef".into(),
        })
        .context("batch 3")
        .unwrap_err();
        assert_eq!(code_of(&err), SALT_MISMATCH);
        assert_eq!(code_of(&anyhow::anyhow!("bad option")), USAGE);
        let err = anyhow::Error::new(Failure::Refused("400".into()));
        assert_eq!(code_of(&err), REFUSED);
        let err = anyhow::Error::new(Failure::Interrupted("Ctrl-C"));
        assert_eq!(code_of(&err), INTERRUPTED);
    }

    #[test]
    fn messages_say_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot read /etc/salt: {source}")]
        struct Wrapping {
            source: std::io::Error,
        }
        let err = anyhow::Error::new(Wrapping { source: io })
            .context("loading the salt")
            .context(NextStep("fix it".into()));
        assert_eq!(
            message(&err),
            "loading the salt: cannot read /etc/salt: No such file or directory"
        );
        assert_eq!(
            err.downcast_ref::<NextStep>().map(ToString::to_string),
            Some("fix it".into())
        );
        assert_eq!(code_of(&err), USAGE);
    }

    #[test]
    fn the_next_step_depends_on_the_failure_and_what_is_kept() {
        let salt = anyhow::Error::new(Failure::SaltMismatch {
            fingerprint: "0123456789abcdef".into(),
        });
        let nothing = next_step(&salt, Kept::Nothing).unwrap();
        assert!(nothing.starts_with("nothing was linked"), "{nothing}");
        assert!(nothing.contains("salt"), "{nothing}");
        assert!(!nothing.contains("resume"), "{nothing}");
        let kept = Kept::Resumable {
            output: Path::new("out.csv"),
            rows_done: 2000,
        };
        let some = next_step(&salt, kept).unwrap();
        assert!(
            some.contains("--restart") && some.contains("out.csv"),
            "{some}"
        );

        let refused = anyhow::Error::new(Failure::Refused("401".into())).context("rows 1 to 5");
        let step = next_step(&refused, Kept::Nothing).unwrap();
        assert!(step.contains("client id or secret"), "{step}");
        assert!(!step.contains("resume"), "{step}");
        let step = next_step(&refused, kept).unwrap();
        assert!(step.contains("resumes after row 2000"), "{step}");

        let transient = anyhow::Error::new(Failure::Transient {
            target: "https://idmap.example.org/api/v1/link".into(),
            attempts: 3,
            elapsed_s: 9.0,
            last: "503".into(),
        });
        let step = next_step(&transient, kept).unwrap();
        assert!(
            step.contains("again later: it resumes after row 2000"),
            "{step}"
        );
        let step = next_step(&transient, Kept::Stream).unwrap();
        assert_eq!(step, "run the same command again later");

        let refusal = anyhow::Error::new(ResumeRefused("pass --restart".into()));
        assert_eq!(next_step(&refusal, kept), None);
    }
}
