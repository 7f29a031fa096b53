//! Logging set-up shared by the services: `tracing` to stderr, text or one
//! JSON object per line, filtered by `RUST_LOG` (else the service's
//! default). Colours only on a terminal and without `NO_COLOR`
//! (<https://no-color.org>), so a log file or collector never receives
//! escape codes. Span fields ride along on every line, which is how the request
//! id of [`crate::request_id`] reaches each line of a request: in text as
//! `request{request_id=...}:` and in JSON under `span` and `spans`.

use std::io::IsTerminal;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written (`IDMAP_LOG_FORMAT`, `AUTH_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

fn filter(default_filter: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter))
}

/// Installs the global subscriber writing to stderr (stdout stays free for
/// what a command prints, such as a JSON summary). A second call is a
/// no-op, so tests may call it freely.
pub fn init(format: LogFormat, default_filter: &str) {
    let ansi = colours(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(default_filter))
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Whether text lines get colours: on a terminal, unless `NO_COLOR` is set
/// to anything but the empty string.
fn colours(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The same subscriber writing to `writer`, installed for the current
/// thread only until the guard drops: for tests that read log lines.
pub fn scoped<W>(format: LogFormat, filter: &str, writer: W) -> tracing::subscriber::DefaultGuard
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_ansi(false)
        .with_writer(writer);
    match format {
        LogFormat::Text => tracing::subscriber::set_default(builder.finish()),
        LogFormat::Json => tracing::subscriber::set_default(builder.json().finish()),
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::colours;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(colours(true, None));
        assert!(colours(true, Some(OsStr::new(""))));
        assert!(!colours(true, Some(OsStr::new("1"))));
        assert!(!colours(false, None));
    }
}
