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
Runs that stop with 3, 4 or 5 (or are killed) resume where they stopped when
run again with the same output file.";

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
    #[error("giving up after {attempts} attempts over {elapsed_s:.0} s: {last}")]
    Transient {
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
}

impl Failure {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Refused(_) => REFUSED,
            Failure::Transient { .. } => TRANSIENT,
            Failure::SaltMismatch { .. } => SALT_MISMATCH,
        }
    }
}

/// The exit code for an error returned by a command.
pub fn code_of(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map_or(USAGE, Failure::code)
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
    }
}
