//! Settings of idmap-server: defaults, then an optional TOML file
//! (`--config <path>`; unknown keys are an error), then environment
//! variables. [`ENV_VARS`] is the one list of variables read, with their
//! defaults and meanings: the loader reads exactly these names and
//! `idmap-server --help` prints the same table (see `idmap_web::settings`).
//! The file uses the same names in lowercase without the prefix
//! (`database_url = "..."`). `import-legacy` also reads `IDMAP_LEGACY_URL`
//! (its `--from`); `RUST_LOG`, `NO_COLOR` and `RUST_BACKTRACE` are the only
//! others.

use std::collections::HashMap;
use std::path::Path;

pub use idmap_web::settings::SettingsError;
use idmap_web::settings::{self, Kind, ServiceSettings, Var};
use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::linkage::SamePartnerPolicy;

/// Every environment variable the settings read; everything else is ignored.
pub const ENV_VARS: &[Var] = &[
    Var {
        name: "IDMAP_LISTEN",
        kind: Kind::Text,
        default: Some("127.0.0.1:8082"),
        meaning: "address to listen on (port 0 picks a free one)",
    },
    Var {
        name: "IDMAP_DATABASE_URL",
        kind: Kind::Text,
        default: Some("sqlite://data/idmap.db"),
        meaning: "sqlite://PATH, postgres://... or mysql://...; a SQLite file is created, its directory must exist",
    },
    Var {
        name: "IDMAP_ISSUER",
        kind: Kind::Text,
        default: Some("http://127.0.0.1:8081"),
        meaning: "exact `iss` of accepted tokens; the JWKS is found through its metadata",
    },
    Var {
        name: "IDMAP_AUDIENCE",
        kind: Kind::Text,
        default: Some(idmap_common::claims::IDMAP_AUDIENCE),
        meaning: "audience accepted tokens must carry",
    },
    Var {
        name: "IDMAP_JWKS_URL",
        kind: Kind::Text,
        default: None,
        meaning: "fetch the JWKS here instead of through discovery",
    },
    Var {
        name: "IDMAP_MAX_PATIENTS",
        kind: Kind::Integer,
        default: Some("10000"),
        meaning: "most patients (or /api/save entries) per request",
    },
    Var {
        name: "IDMAP_SALT_FINGERPRINTS",
        kind: Kind::Text,
        default: None,
        meaning: "comma-separated accepted salt fingerprints (unset: not checked)",
    },
    Var {
        name: "IDMAP_LOG_FORMAT",
        kind: Kind::OneOf(&["text", "json"]),
        default: Some("text"),
        meaning: "log lines as text or json",
    },
    Var {
        name: "IDMAP_DB_POOL_SIZE",
        kind: Kind::Integer,
        default: Some("10"),
        meaning: "database connections in the pool",
    },
    Var {
        name: "IDMAP_HEADER_TIMEOUT",
        kind: Kind::Integer,
        default: Some("5"),
        meaning: "seconds a client has to send the request head",
    },
    Var {
        name: "IDMAP_BODY_TIMEOUT",
        kind: Kind::Integer,
        default: Some("60"),
        meaning: "seconds a client has to send the whole body; then 408 and the connection closes",
    },
    Var {
        name: "IDMAP_KEEP_ALIVE",
        kind: Kind::Integer,
        default: Some("5"),
        meaning: "seconds an idle connection stays open (nginx keeps its own below this)",
    },
    Var {
        name: "IDMAP_SAME_PARTNER_POLICY",
        kind: Kind::OneOf(&["ambiguous", "separate", "link", "evidence"]),
        default: Some("link"),
        meaning: "when one partner holds a hash under two refs: ambiguous, separate, link or evidence",
    },
    Var {
        name: "IDMAP_MAX_REFS_PER_HASH",
        kind: Kind::Integer,
        default: Some("10"),
        meaning: "a hash one partner holds under more refs than this stops linking (at least 2)",
    },
    Var {
        name: "IDMAP_LINK_THRESHOLD",
        kind: Kind::Number,
        default: Some("0"),
        meaning: "least total weight of the best candidate under the evidence policy",
    },
];

/// Everything the server needs to start; loaded once in `main`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    /// May carry a password, so it is kept secret.
    pub database_url: SecretString,
    pub issuer: String,
    pub audience: String,
    #[serde(default)]
    pub jwks_url: Option<String>,
    pub max_patients: usize,
    /// Comma-separated; empty means "not configured".
    #[serde(default)]
    pub salt_fingerprints: Option<String>,
    pub log_format: LogFormat,
    pub db_pool_size: u32,
    /// Seconds; see [`Settings::timeouts`].
    pub header_timeout: u64,
    pub body_timeout: u64,
    pub keep_alive: u64,
    pub same_partner_policy: SamePartnerPolicy,
    pub max_refs_per_hash: usize,
    pub link_threshold: f64,
}

use idmap_web::timeouts::HttpTimeouts;

/// How log lines are written (shared with auth-server).
pub use idmap_web::LogFormat;

impl ServiceSettings for Settings {
    const VARS: &'static [Var] = ENV_VARS;

    fn check(&self) -> Result<(), SettingsError> {
        self.timeouts().check("IDMAP")?;
        if self.max_patients == 0 {
            return Err(SettingsError::new("IDMAP_MAX_PATIENTS must be at least 1"));
        }
        if self.db_pool_size == 0 {
            return Err(SettingsError::new("IDMAP_DB_POOL_SIZE must be at least 1"));
        }
        if self.max_refs_per_hash < 2 {
            return Err(SettingsError::new(
                "IDMAP_MAX_REFS_PER_HASH must be at least 2",
            ));
        }
        if !self.link_threshold.is_finite() {
            return Err(SettingsError::new(
                "IDMAP_LINK_THRESHOLD must be a finite number",
            ));
        }
        if let Some(bad) = self
            .fingerprints()
            .iter()
            .find(|f| !idmap_common::fingerprint::is_fingerprint(f))
        {
            return Err(SettingsError::new(format!(
                "IDMAP_SALT_FINGERPRINTS: {bad:?} is not 16 hexadecimal characters"
            )));
        }
        Ok(())
    }
}

impl Settings {
    /// Defaults, then `file`, then the variables of [`ENV_VARS`] found in `env`.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        settings::load_checked(file, env)
    }

    /// Accepted salt fingerprints in lowercase; empty when none configured.
    pub fn fingerprints(&self) -> Vec<String> {
        self.salt_fingerprints
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The HTTP time limits (see `idmap_web::timeouts`).
    pub fn timeouts(&self) -> HttpTimeouts {
        HttpTimeouts::from_secs(self.header_timeout, self.body_timeout, self.keep_alive)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use idmap_web::settings::env_of as env;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_match_the_design() {
        let s = Settings::load(None, &HashMap::new()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8082");
        assert_eq!(s.database_url.expose_secret(), "sqlite://data/idmap.db");
        assert_eq!(s.issuer, "http://127.0.0.1:8081");
        assert_eq!(s.audience, "idmap");
        assert_eq!(s.jwks_url, None);
        assert_eq!(s.max_patients, 10_000);
        assert!(s.fingerprints().is_empty());
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(
            s.timeouts(),
            HttpTimeouts {
                header: Duration::from_secs(5),
                body: Duration::from_secs(60),
                keep_alive: Duration::from_secs(5),
            }
        );
        assert_eq!(s.same_partner_policy, SamePartnerPolicy::Link);
        assert_eq!(s.max_refs_per_hash, 10);
        assert_eq!(s.link_threshold, 0.0);
    }

    #[test]
    fn linkage_settings_are_read_and_checked() {
        let s = Settings::load(
            None,
            &env(&[
                ("IDMAP_SAME_PARTNER_POLICY", "evidence"),
                ("IDMAP_MAX_REFS_PER_HASH", "3"),
                ("IDMAP_LINK_THRESHOLD", "-2.5"),
            ]),
        )
        .unwrap();
        assert_eq!(s.same_partner_policy, SamePartnerPolicy::Evidence);
        assert_eq!((s.max_refs_per_hash, s.link_threshold), (3, -2.5));
        for bad in [
            ("IDMAP_SAME_PARTNER_POLICY", "merge"),
            ("IDMAP_MAX_REFS_PER_HASH", "1"),
            ("IDMAP_LINK_THRESHOLD", "NaN"),
        ] {
            assert!(Settings::load(None, &env(&[bad])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn environment_overrides_file_and_unrelated_variables_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idmap.toml");
        std::fs::write(&path, "max_patients = 5\naudience = \"file\"\n").unwrap();
        let e = env(&[
            ("IDMAP_MAX_PATIENTS", "7"),
            (
                "IDMAP_SALT_FINGERPRINTS",
                "0123456789ABCDEF, fedcba9876543210",
            ),
            ("IDMAP_LOG_FORMAT", "json"),
            ("IDMAP_UNRELATED", "x"),
        ]);
        let s = Settings::load(Some(&path), &e).unwrap();
        assert_eq!(s.max_patients, 7);
        assert_eq!(s.audience, "file");
        assert_eq!(s.fingerprints(), ["0123456789abcdef", "fedcba9876543210"]);
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idmap.toml");
        std::fs::write(&path, "max_patient = 5\n").unwrap();
        assert!(Settings::load(Some(&path), &HashMap::new()).is_err());
        assert!(Settings::load(None, &env(&[("IDMAP_SALT_FINGERPRINTS", "abc")])).is_err());
        assert_eq!(
            Settings::load(None, &env(&[("IDMAP_MAX_PATIENTS", "many")]))
                .unwrap_err()
                .to_string(),
            r#"IDMAP_MAX_PATIENTS: expected an integer, got "many""#
        );
    }

    #[test]
    fn debug_hides_the_database_password() {
        let s = Settings::load(
            None,
            &env(&[("IDMAP_DATABASE_URL", "postgres://u:hunter2@db/idmap")]),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
