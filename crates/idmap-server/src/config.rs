//! Settings of idmap-server: defaults, then an optional TOML file
//! (`--config <path>`; unknown keys are an error), then these environment
//! variables (flat names; only these are read):
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `IDMAP_LISTEN` | `127.0.0.1:8082` | address to listen on (port 0 picks a free one) |
//! | `IDMAP_DATABASE_URL` | `sqlite://data/idmap.db` | `sqlite://`, `postgres://` or `mysql://` URL |
//! | `IDMAP_ISSUER` | `http://127.0.0.1:8081` | exact `iss` of accepted tokens; JWKS found through its metadata |
//! | `IDMAP_AUDIENCE` | `idmap` | audience tokens must carry |
//! | `IDMAP_JWKS_URL` | unset | fetch the JWKS here instead of through discovery |
//! | `IDMAP_MAX_PATIENTS` | `10000` | most patients (or `/api/save` entries) per request |
//! | `IDMAP_SALT_FINGERPRINTS` | unset | comma-separated accepted salt fingerprints |
//! | `IDMAP_LOG_FORMAT` | `text` | `text` or `json` |
//! | `IDMAP_DB_POOL_SIZE` | `10` | database connections in the pool |
//! | `IDMAP_SAME_PARTNER_POLICY` | `link` | rule 5: `ambiguous`, `separate`, `link` or `evidence` |
//! | `IDMAP_MAX_REFS_PER_HASH` | `10` | a hash one partner holds under more refs stops linking |
//! | `IDMAP_LINK_THRESHOLD` | `0` | least total weight of the best candidate under `evidence` |
//!
//! The file uses the same names in lowercase without the prefix
//! (`database_url = "..."`).

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::linkage::SamePartnerPolicy;

/// Environment variables read, and the settings field each one sets.
pub const ENV_VARS: [(&str, &str); 12] = [
    ("IDMAP_LISTEN", "listen"),
    ("IDMAP_DATABASE_URL", "database_url"),
    ("IDMAP_ISSUER", "issuer"),
    ("IDMAP_AUDIENCE", "audience"),
    ("IDMAP_JWKS_URL", "jwks_url"),
    ("IDMAP_MAX_PATIENTS", "max_patients"),
    ("IDMAP_SALT_FINGERPRINTS", "salt_fingerprints"),
    ("IDMAP_LOG_FORMAT", "log_format"),
    ("IDMAP_DB_POOL_SIZE", "db_pool_size"),
    ("IDMAP_SAME_PARTNER_POLICY", "same_partner_policy"),
    ("IDMAP_MAX_REFS_PER_HASH", "max_refs_per_hash"),
    ("IDMAP_LINK_THRESHOLD", "link_threshold"),
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
    pub same_partner_policy: SamePartnerPolicy,
    pub max_refs_per_hash: usize,
    pub link_threshold: f64,
}

/// How log lines are written (shared with auth-server).
pub use idmap_web::LogFormat;

impl Settings {
    /// Defaults, then `file`, then the documented variables found in `env`.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder()
            .set_default("listen", "127.0.0.1:8082")?
            .set_default("database_url", "sqlite://data/idmap.db")?
            .set_default("issuer", "http://127.0.0.1:8081")?
            .set_default("audience", idmap_common::claims::IDMAP_AUDIENCE)?
            .set_default("max_patients", 10_000)?
            .set_default("log_format", "text")?
            .set_default("db_pool_size", 10)?
            .set_default("same_partner_policy", "link")?
            .set_default("max_refs_per_hash", 10)?
            .set_default("link_threshold", 0.0)?;
        if let Some(path) = file {
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let picked: config::Map<String, String> = ENV_VARS
            .iter()
            .filter_map(|(var, key)| env.get(*var).map(|v| ((*key).to_owned(), v.clone())))
            .collect();
        builder = builder.add_source(config::Environment::default().source(Some(picked)));
        let settings: Self = builder
            .build()
            .context("cannot read the configuration")?
            .try_deserialize()
            .context("invalid configuration")?;
        settings.check()?;
        Ok(settings)
    }

    /// The process environment, restricted to the documented variables.
    pub fn env_from_process() -> HashMap<String, String> {
        ENV_VARS
            .iter()
            .filter_map(|(var, _)| std::env::var(var).ok().map(|v| ((*var).to_owned(), v)))
            .collect()
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

    fn check(&self) -> anyhow::Result<()> {
        if self.max_patients == 0 {
            anyhow::bail!("max_patients must be at least 1");
        }
        if self.db_pool_size == 0 {
            anyhow::bail!("db_pool_size must be at least 1");
        }
        if self.max_refs_per_hash < 2 {
            anyhow::bail!("max_refs_per_hash must be at least 2");
        }
        if !self.link_threshold.is_finite() {
            anyhow::bail!("link_threshold must be a finite number");
        }
        if let Some(bad) = self
            .fingerprints()
            .iter()
            .find(|f| !idmap_common::fingerprint::is_fingerprint(f))
        {
            anyhow::bail!("salt fingerprint {bad:?} is not 16 hexadecimal characters");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

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
        assert!(Settings::load(None, &env(&[("IDMAP_MAX_PATIENTS", "many")])).is_err());
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
