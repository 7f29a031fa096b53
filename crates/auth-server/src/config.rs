//! Typed settings, layered: built-in defaults, then an optional TOML file
//! (`--config <path>`; unknown keys are an error), then environment variables.
//!
//! Only these variables are read (flat names; the underscores are part of
//! the name):
//!
//! | variable                 | default                  | meaning                                   |
//! |--------------------------|--------------------------|-------------------------------------------|
//! | `AUTH_LISTEN`            | `127.0.0.1:8081`         | address the HTTP server binds             |
//! | `AUTH_ISSUER`            | `http://127.0.0.1:8081`  | public base URL; `iss` and endpoint URLs  |
//! | `AUTH_DATABASE_URL`      | `sqlite://data/auth.db`  | `sqlite://`, `postgres://` or `mysql://`  |
//! | `AUTH_DB_POOL_SIZE`      | `8`                      | connections in the pool                   |
//! | `AUTH_SIGNING_KEY_DIR`   | `data/keys`              | signing keys and the client-secret key    |
//! | `AUTH_SIGNING_ALG`       | `RS256`                  | `RS256`, `ES256` or `EdDSA`               |
//! | `AUTH_ACCESS_TOKEN_TTL`  | `3600`                   | access-token lifetime in seconds          |
//! | `AUTH_JWKS_MAX_AGE`      | `300`                    | `Cache-Control` max-age of the JWKS       |
//! | `AUTH_LOG_FORMAT`        | `text`                   | `text` or `json`                          |
//! | `AUTH_REFRESH_TOKEN_TTL` | `2592000`                | refresh-token lifetime in seconds (renewed on rotation) |
//! | `AUTH_SESSION_TTL`       | `28800`                  | login-session lifetime in seconds         |
//! | `AUTH_ENABLE_PASSWORD_GRANT` | `false`              | allow `grant_type=password`               |
//! | `AUTH_ENABLE_IMPLICIT_GRANT` | `false`              | allow `response_type=token`               |
//! | `AUTH_KEY_PUBLICATION_DELAY` | `AUTH_JWKS_MAX_AGE`  | seconds a rotated key is published before it signs |
//! | `AUTH_KEY_POLL_INTERVAL` | `2`                      | seconds between key-directory checks      |
//! | `AUTH_RATE_LIMIT_ENABLED` | `true`                  | throttle failed client authentications    |
//! | `AUTH_RATE_LIMIT_CLIENT_FAILURES` | `10`            | failures per client id and IP per window  |
//! | `AUTH_RATE_LIMIT_IP_FAILURES` | `30`                | failures per client IP per window         |
//! | `AUTH_RATE_LIMIT_WINDOW` | `60`                     | window in seconds (also the longest block) |
//! | `AUTH_TRUSTED_PROXIES`   | `127.0.0.1,::1`          | addresses or CIDR networks of proxies whose `X-Forwarded-For` is believed |
//! | `AUTH_MAILER`            | `file`                   | `file`, `smtp` or `log` (user-center mail) |
//! | `AUTH_MAIL_DIR`          | `data/mail`              | file mailer: one `.eml` file per message  |
//! | `AUTH_SMTP_URL`          | (none)                   | smtp mailer: `smtps://user:pass@host:465` or `smtp://host:587?tls=required` |
//! | `AUTH_MAIL_FROM`         | `idmap <noreply@localhost>` | sender of user-center mail             |
//! | `AUTH_LOGIN_FAILURES`    | `5`                      | wrong passwords per account and IP per window |
//! | `AUTH_LOGIN_IP_FAILURES` | `20`                     | wrong passwords per IP per window         |
//! | `AUTH_LOGIN_WINDOW`      | `300`                    | login throttle window in seconds          |
//! | `AUTH_REFRESH_FAMILY_TTL` | `7776000`               | absolute lifetime of a refresh-token family (rotation does not extend it) |
//! | `AUTH_RATE_LIMIT_CLIENT_CEILING` | `100`            | failures per client id from all IPs per window before each IP gets one |
//! | `AUTH_LOGIN_ACCOUNT_CEILING` | `20`                 | wrong passwords per account from all IPs per window before each IP gets one |
//! | `AUTH_HEADER_TIMEOUT`    | `5`                      | seconds a client has to send the request head |
//! | `AUTH_BODY_TIMEOUT`      | `30`                     | seconds a client has to send the whole body; then 408 and the connection closes |
//! | `AUTH_KEEP_ALIVE`        | `5`                      | seconds an idle connection stays open (nginx keeps its own below this) |
//!
//! `RUST_LOG` (read by the log filter, default `info`) is the only other one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use idmap_web::LogFormat;
use idmap_web::timeouts::HttpTimeouts;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Environment variables this service reads; everything else is ignored.
pub const ENV_VARS: [&str; 33] = [
    "AUTH_LISTEN",
    "AUTH_ISSUER",
    "AUTH_DATABASE_URL",
    "AUTH_DB_POOL_SIZE",
    "AUTH_SIGNING_KEY_DIR",
    "AUTH_SIGNING_ALG",
    "AUTH_ACCESS_TOKEN_TTL",
    "AUTH_JWKS_MAX_AGE",
    "AUTH_LOG_FORMAT",
    "AUTH_REFRESH_TOKEN_TTL",
    "AUTH_SESSION_TTL",
    "AUTH_ENABLE_PASSWORD_GRANT",
    "AUTH_ENABLE_IMPLICIT_GRANT",
    "AUTH_KEY_PUBLICATION_DELAY",
    "AUTH_KEY_POLL_INTERVAL",
    "AUTH_RATE_LIMIT_ENABLED",
    "AUTH_RATE_LIMIT_CLIENT_FAILURES",
    "AUTH_RATE_LIMIT_IP_FAILURES",
    "AUTH_RATE_LIMIT_WINDOW",
    "AUTH_TRUSTED_PROXIES",
    "AUTH_MAILER",
    "AUTH_MAIL_DIR",
    "AUTH_SMTP_URL",
    "AUTH_MAIL_FROM",
    "AUTH_LOGIN_FAILURES",
    "AUTH_LOGIN_IP_FAILURES",
    "AUTH_LOGIN_WINDOW",
    "AUTH_REFRESH_FAMILY_TTL",
    "AUTH_RATE_LIMIT_CLIENT_CEILING",
    "AUTH_LOGIN_ACCOUNT_CEILING",
    "AUTH_HEADER_TIMEOUT",
    "AUTH_BODY_TIMEOUT",
    "AUTH_KEEP_ALIVE",
];

/// Every setting of the service, loaded once in `main` and passed down.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub issuer: String,
    pub database_url: SecretString,
    pub db_pool_size: u32,
    pub signing_key_dir: PathBuf,
    pub signing_alg: SigningAlg,
    pub access_token_ttl: u64,
    pub jwks_max_age: u64,
    pub log_format: LogFormat,
    pub refresh_token_ttl: u64,
    pub session_ttl: u64,
    pub enable_password_grant: bool,
    pub enable_implicit_grant: bool,
    /// `None`: the JWKS max-age, so every cache has seen a key before it signs.
    #[serde(default)]
    pub key_publication_delay: Option<u64>,
    pub key_poll_interval: u64,
    pub rate_limit_enabled: bool,
    pub rate_limit_client_failures: u32,
    pub rate_limit_ip_failures: u32,
    pub rate_limit_window: u64,
    /// Comma-separated IP addresses and CIDR networks.
    pub trusted_proxies: String,
    pub mailer: MailerKind,
    pub mail_dir: PathBuf,
    #[serde(default)]
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub login_failures: u32,
    pub login_ip_failures: u32,
    pub login_window: u64,
    pub refresh_family_ttl: u64,
    pub rate_limit_client_ceiling: u32,
    pub login_account_ceiling: u32,
    /// Seconds; see [`Settings::timeouts`].
    pub header_timeout: u64,
    pub body_timeout: u64,
    pub keep_alive: u64,
}

/// Where user-center mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailerKind {
    /// One `.eml` file per message in `AUTH_MAIL_DIR` (development, tests).
    File,
    /// SMTP through lettre at `AUTH_SMTP_URL` (production).
    Smtp,
    /// Only a log line (recipient and subject; never the body, which holds a link).
    Log,
}

/// JWS algorithm of newly signed access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SigningAlg {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "EdDSA")]
    EdDsa,
}

/// Why settings could not be loaded; shown to the operator.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    #[error("invalid configuration: {0}")]
    Value(String),
}

impl Settings {
    /// Loads defaults, then `file` if given, then the documented variables of `env`.
    ///
    /// `env` may hold anything (for example all of `std::env::vars()`): only
    /// the names in [`ENV_VARS`] are taken from it.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let known: config::Map<String, String> = env
            .iter()
            .filter(|(k, _)| ENV_VARS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut builder = config::Config::builder()
            .set_default("listen", "127.0.0.1:8081")?
            .set_default("issuer", "http://127.0.0.1:8081")?
            .set_default("database_url", "sqlite://data/auth.db")?
            .set_default("db_pool_size", 8)?
            .set_default("signing_key_dir", "data/keys")?
            .set_default("signing_alg", "RS256")?
            .set_default("access_token_ttl", 3600)?
            .set_default("jwks_max_age", 300)?
            .set_default("log_format", "text")?
            .set_default("refresh_token_ttl", 2_592_000)?
            .set_default("session_ttl", 28_800)?
            .set_default("enable_password_grant", false)?
            .set_default("enable_implicit_grant", false)?
            .set_default("key_poll_interval", 2)?
            .set_default("rate_limit_enabled", true)?
            .set_default("rate_limit_client_failures", 10)?
            .set_default("rate_limit_ip_failures", 30)?
            .set_default("rate_limit_window", 60)?
            .set_default("trusted_proxies", "127.0.0.1,::1")?
            .set_default("mailer", "file")?
            .set_default("mail_dir", "data/mail")?
            .set_default("mail_from", "idmap <noreply@localhost>")?
            .set_default("login_failures", 5)?
            .set_default("login_ip_failures", 20)?
            .set_default("login_window", 300)?
            .set_default("refresh_family_ttl", 7_776_000)?
            .set_default("rate_limit_client_ceiling", 100)?
            .set_default("login_account_ceiling", 20)?
            .set_default("header_timeout", 5)?
            .set_default("body_timeout", 30)?
            .set_default("keep_alive", 5)?;
        if let Some(path) = file {
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("AUTH")
                .prefix_separator("_")
                .try_parsing(true)
                .source(Some(known)),
        );
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The HTTP time limits (see `idmap_web::timeouts`).
    pub fn timeouts(&self) -> HttpTimeouts {
        HttpTimeouts {
            header: Duration::from_secs(self.header_timeout),
            body: Duration::from_secs(self.body_timeout),
            keep_alive: Duration::from_secs(self.keep_alive),
        }
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if self.header_timeout == 0 || self.body_timeout == 0 || self.keep_alive == 0 {
            return Err(SettingsError::Value(
                "AUTH_HEADER_TIMEOUT, AUTH_BODY_TIMEOUT and AUTH_KEEP_ALIVE must be at least 1"
                    .into(),
            ));
        }
        let issuer = url::Url::parse(&self.issuer)
            .map_err(|e| SettingsError::Value(format!("AUTH_ISSUER is not a URL: {e}")))?;
        // RFC 8414 section 2: https (http allowed here for development), no query or fragment.
        if !matches!(issuer.scheme(), "http" | "https")
            || issuer.query().is_some()
            || issuer.fragment().is_some()
        {
            return Err(SettingsError::Value(
                "AUTH_ISSUER must be an http(s) URL without query or fragment".into(),
            ));
        }
        if self.access_token_ttl == 0 || self.access_token_ttl > 86_400 {
            return Err(SettingsError::Value(
                "AUTH_ACCESS_TOKEN_TTL must be 1 to 86400 seconds".into(),
            ));
        }
        self.trusted_proxy_list()?;
        if self.key_poll_interval == 0 || self.rate_limit_window == 0 || self.session_ttl == 0 {
            return Err(SettingsError::Value(
                "AUTH_KEY_POLL_INTERVAL, AUTH_RATE_LIMIT_WINDOW and AUTH_SESSION_TTL must be positive"
                    .into(),
            ));
        }
        if self.refresh_token_ttl == 0 {
            return Err(SettingsError::Value(
                "AUTH_REFRESH_TOKEN_TTL must be positive".into(),
            ));
        }
        let smtp_url_missing = self
            .smtp_url
            .as_ref()
            .is_none_or(|url| url.expose_secret().trim().is_empty());
        if self.mailer == MailerKind::Smtp && smtp_url_missing {
            return Err(SettingsError::Value(
                "AUTH_MAILER=smtp needs AUTH_SMTP_URL, such as smtps://user:password@mail.example.org:465 \
                 or smtp://mail.example.org:587?tls=required"
                    .into(),
            ));
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(SettingsError::Value(
                "AUTH_MAIL_FROM must be an address such as 'idmap <noreply@example.org>'".into(),
            ));
        }
        if self.login_window == 0 || self.login_failures == 0 || self.login_ip_failures == 0 {
            return Err(SettingsError::Value(
                "AUTH_LOGIN_FAILURES, AUTH_LOGIN_IP_FAILURES and AUTH_LOGIN_WINDOW must be positive"
                    .into(),
            ));
        }
        if self.refresh_family_ttl == 0
            || self.rate_limit_client_ceiling == 0
            || self.login_account_ceiling == 0
        {
            return Err(SettingsError::Value(
                "AUTH_REFRESH_FAMILY_TTL, AUTH_RATE_LIMIT_CLIENT_CEILING and \
                 AUTH_LOGIN_ACCOUNT_CEILING must be positive"
                    .into(),
            ));
        }
        if self.db_pool_size == 0 {
            return Err(SettingsError::Value(
                "AUTH_DB_POOL_SIZE must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The issuer URL without a trailing slash, the base of every endpoint URL.
    pub fn issuer_base(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }

    /// The trusted proxies as networks; a single address is a network of one.
    pub fn trusted_proxy_list(&self) -> Result<Vec<ipnet::IpNet>, SettingsError> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        SettingsError::Value(format!(
                            "AUTH_TRUSTED_PROXIES: '{s}' is neither an IP address nor a network such as 172.16.0.0/12"
                        ))
                    })
            })
            .collect()
    }

    /// Seconds a rotated key is published before it signs.
    pub fn publication_delay(&self) -> u64 {
        self.key_publication_delay.unwrap_or(self.jwks_max_age)
    }

    /// Whether the issuer is https (then session cookies are `Secure`).
    pub fn issuer_is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// Reads the process environment, keeping only the documented names.
    pub fn process_env() -> HashMap<String, String> {
        std::env::vars()
            .filter(|(k, _)| ENV_VARS.contains(&k.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_file_or_env() {
        let s = Settings::load(None, &HashMap::new()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8081");
        assert_eq!(s.issuer, "http://127.0.0.1:8081");
        assert_eq!(s.database_url.expose_secret(), "sqlite://data/auth.db");
        assert_eq!(s.signing_key_dir, PathBuf::from("data/keys"));
        assert_eq!(s.signing_alg, SigningAlg::Rs256);
        assert_eq!(s.access_token_ttl, 3600);
        assert_eq!(s.jwks_max_age, 300);
        assert_eq!(s.log_format, LogFormat::Text);
    }

    #[test]
    fn flat_env_names_override_and_unrelated_ones_are_ignored() {
        let s = Settings::load(
            None,
            &env(&[
                ("AUTH_DATABASE_URL", "sqlite:///tmp/x.db"),
                ("AUTH_SIGNING_ALG", "EdDSA"),
                ("AUTH_ACCESS_TOKEN_TTL", "60"),
                ("AUTH_SOMETHING_ELSE", "boom"),
                ("AUTH_LOG_FORMAT", "json"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database_url.expose_secret(), "sqlite:///tmp/x.db");
        assert_eq!(s.signing_alg, SigningAlg::EdDsa);
        assert_eq!(s.access_token_ttl, 60);
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn file_is_read_and_env_wins_over_it() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "listen = \"0.0.0.0:9000\"\njwks_max_age = 60").unwrap();
        let s = Settings::load(Some(f.path()), &env(&[("AUTH_JWKS_MAX_AGE", "10")])).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.jwks_max_age, 10);
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_errors() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "listne = \"0.0.0.0:9000\"").unwrap();
        assert!(Settings::load(Some(f.path()), &HashMap::new()).is_err());
        assert!(Settings::load(None, &env(&[("AUTH_SIGNING_ALG", "HS256")])).is_err());
        assert!(Settings::load(None, &env(&[("AUTH_ISSUER", "not a url")])).is_err());
        assert!(Settings::load(None, &env(&[("AUTH_ACCESS_TOKEN_TTL", "0")])).is_err());
    }

    #[test]
    fn grant_switches_rate_limits_proxies_and_key_delay() {
        let s = Settings::load(None, &HashMap::new()).unwrap();
        assert!(!s.enable_password_grant && !s.enable_implicit_grant);
        assert!(s.rate_limit_enabled);
        assert_eq!(s.publication_delay(), s.jwks_max_age);
        assert_eq!(s.trusted_proxy_list().unwrap().len(), 2);
        assert!(!s.issuer_is_https());
        let s = Settings::load(
            None,
            &env(&[
                ("AUTH_ENABLE_PASSWORD_GRANT", "true"),
                ("AUTH_ENABLE_IMPLICIT_GRANT", "true"),
                ("AUTH_RATE_LIMIT_ENABLED", "false"),
                ("AUTH_KEY_PUBLICATION_DELAY", "600"),
                ("AUTH_TRUSTED_PROXIES", "10.0.0.5, 172.16.0.0/12,fd00::/8"),
                ("AUTH_ISSUER", "https://auth.example"),
            ]),
        )
        .unwrap();
        assert!(s.enable_password_grant && s.enable_implicit_grant && !s.rate_limit_enabled);
        assert_eq!(s.publication_delay(), 600);
        assert_eq!(
            s.trusted_proxy_list().unwrap(),
            ["10.0.0.5/32", "172.16.0.0/12", "fd00::/8"]
                .map(|n| n.parse::<ipnet::IpNet>().unwrap())
        );
        assert!(s.issuer_is_https());
        assert!(Settings::load(None, &env(&[("AUTH_TRUSTED_PROXIES", "nginx")])).is_err());
        assert!(Settings::load(None, &env(&[("AUTH_TRUSTED_PROXIES", "10.0.0.0/33")])).is_err());
        assert!(Settings::load(None, &env(&[("AUTH_RATE_LIMIT_WINDOW", "0")])).is_err());
    }

    #[test]
    fn smtp_mailer_without_a_url_names_the_variable() {
        for url in [None, Some(""), Some("  ")] {
            let mut vars = vec![("AUTH_MAILER", "smtp")];
            vars.extend(url.map(|u| ("AUTH_SMTP_URL", u)));
            let err = Settings::load(None, &env(&vars)).unwrap_err().to_string();
            assert!(err.contains("AUTH_SMTP_URL"), "{err}");
        }
        let s = Settings::load(
            None,
            &env(&[("AUTH_MAILER", "smtp"), ("AUTH_SMTP_URL", "smtp://mail:25")]),
        )
        .unwrap();
        assert_eq!(s.mailer, MailerKind::Smtp);
    }

    #[test]
    fn family_lifetime_and_ceilings_have_defaults_and_must_be_positive() {
        let s = Settings::load(None, &HashMap::new()).unwrap();
        assert_eq!(s.refresh_family_ttl, 90 * 86_400);
        assert_eq!(
            (s.rate_limit_client_ceiling, s.login_account_ceiling),
            (100, 20)
        );
        let s = Settings::load(
            None,
            &env(&[
                ("AUTH_REFRESH_FAMILY_TTL", "60"),
                ("AUTH_RATE_LIMIT_CLIENT_CEILING", "7"),
                ("AUTH_LOGIN_ACCOUNT_CEILING", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(s.refresh_family_ttl, 60);
        assert_eq!(
            (s.rate_limit_client_ceiling, s.login_account_ceiling),
            (7, 3)
        );
        for var in [
            "AUTH_REFRESH_FAMILY_TTL",
            "AUTH_RATE_LIMIT_CLIENT_CEILING",
            "AUTH_LOGIN_ACCOUNT_CEILING",
        ] {
            assert!(Settings::load(None, &env(&[(var, "0")])).is_err(), "{var}");
        }
    }

    #[test]
    fn database_url_is_not_in_debug_output() {
        let s = Settings::load(
            None,
            &env(&[("AUTH_DATABASE_URL", "postgres://u:hunter2@h/db")]),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
