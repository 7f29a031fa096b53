//! Logging and request ids come from `idmap-web`, shared with auth-server;
//! this module only fixes idmap-server's default filter. Tokens, secrets and
//! hashes are never logged (hashes only at debug level).

pub use idmap_web::RequestId;

use crate::config::LogFormat;

/// Installs the global subscriber (`RUST_LOG` overrides `info`); a second
/// call (tests) is a no-op.
pub fn init(format: LogFormat) {
    idmap_web::logging::init(format, "info");
}
