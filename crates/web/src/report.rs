//! How both binaries report a failed start or command: one line on stderr,
//! `error: ` and the causes joined by `: `, and exit status 1. A cause whose
//! text the line already holds is left out, so a wrapped message is not
//! printed twice. The full chain with a backtrace only when the operator
//! asks for it with `RUST_BACKTRACE`.

use std::process::ExitCode;

/// Prints `err` for the operator and returns the failure exit status.
pub fn exit_with(err: &anyhow::Error) -> ExitCode {
    eprintln!("{}", one_line(err.chain().map(ToString::to_string)));
    if backtrace_wanted(std::env::var("RUST_BACKTRACE").ok().as_deref()) {
        eprintln!("\n{err:?}");
    }
    ExitCode::FAILURE
}

/// `error: ` and the messages, outermost first, skipping any already said.
fn one_line(messages: impl IntoIterator<Item = String>) -> String {
    let mut line = String::from("error: ");
    let mut said = String::new();
    for message in messages {
        if message.is_empty() || said.contains(&message) {
            continue;
        }
        if !said.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&message);
        said.push_str(&message);
        said.push('\n');
    }
    line
}

fn backtrace_wanted(var: Option<&str>) -> bool {
    var.is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(parts: &[&str]) -> String {
        one_line(parts.iter().map(|p| (*p).to_owned()))
    }

    #[test]
    fn causes_are_joined_on_one_line() {
        assert_eq!(
            line(&["cannot open the database", "disk I/O error"]),
            "error: cannot open the database: disk I/O error"
        );
    }

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        assert_eq!(
            line(&[
                "cannot load settings",
                "invalid configuration: expected an integer",
                "expected an integer",
            ]),
            "error: cannot load settings: invalid configuration: expected an integer"
        );
        assert_eq!(
            line(&["No such file or directory (os error 2)"; 2]),
            "error: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn backtrace_only_when_asked() {
        assert!(!backtrace_wanted(None));
        assert!(!backtrace_wanted(Some("0")));
        assert!(!backtrace_wanted(Some("")));
        assert!(backtrace_wanted(Some("1")));
        assert!(backtrace_wanted(Some("full")));
    }
}
