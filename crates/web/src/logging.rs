//! Logging set-up shared by the services: `tracing` to stderr, text or one
//! JSON object per line, filtered by `RUST_LOG` (else the service's
//! default). Span fields ride along on every line, which is how the request
//! id of [`crate::request_id`] reaches each line of a request: in text as
//! `request{request_id=...}:` and in JSON under `span` and `spans`.

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(default_filter))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The same subscriber writing to `writer`, installed for the current
/// thread only until the guard drops: for tests that read log lines.
pub fn scoped<W>(format: LogFormat, filter: &str, writer: W) -> tracing::subscriber::DefaultGuard
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(writer);
    match format {
        LogFormat::Text => tracing::subscriber::set_default(builder.finish()),
        LogFormat::Json => tracing::subscriber::set_default(builder.json().finish()),
    }
}
