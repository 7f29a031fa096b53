//! A failure of ours answered with a 500: the client reads only a
//! reference, and the one log line at error level carries that reference
//! with the whole cause chain, so an operator finds the cause from the
//! answer. The reference is the request id when there is one (it is on
//! every log line of the request and in `X-Request-Id`), else a fresh id
//! of the same shape.

use std::error::Error;
use std::fmt;

use crate::request_id::{self, current_request_id};

/// What the client of a 500 is told: `internal error (reference <id>)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalError {
    reference: String,
}

impl InternalError {
    /// Logs `err` with its cause chain once and keeps only the reference.
    pub fn log(err: &(dyn Error + 'static)) -> Self {
        let reference = current_request_id().unwrap_or_else(request_id::generate);
        tracing::error!(reference = %reference, error = %chain(err), "internal error");
        Self { reference }
    }

    /// The id on the error's log line.
    pub fn reference(&self) -> &str {
        &self.reference
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal error (reference {})", self.reference)
    }
}

/// `err` and its causes, outermost first, joined by `: `.
fn chain(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause() {
        let err = Outer(std::io::Error::other("disk detail"));
        assert_eq!(chain(&err), "outer: disk detail");
    }

    #[test]
    fn outside_a_request_the_reference_is_fresh_and_the_cause_hidden() {
        let err = Outer(std::io::Error::other("disk detail"));
        let (a, b) = (InternalError::log(&err), InternalError::log(&err));
        assert_eq!(a.reference().len(), 32);
        assert_ne!(a, b);
        let shown = a.to_string();
        assert_eq!(
            shown,
            format!("internal error (reference {})", a.reference())
        );
        assert!(!shown.contains("disk detail"));
    }
}
