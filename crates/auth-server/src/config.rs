//! Typed settings, layered: built-in defaults, then an optional TOML file
//! (`--config <path>`; unknown keys are an error), then environment
//! variables. [`ENV_VARS`] is the one list of variables read, with their
//! defaults and meanings: the loader reads exactly these names and
//! `auth-server --help` prints the same table (see `idmap_web::settings`).
//! `RUST_LOG`, `NO_COLOR` and `RUST_BACKTRACE` are the only others.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use idmap_web::LogFormat;
pub use idmap_web::settings::SettingsError;
use idmap_web::settings::{self, Kind, ServiceSettings, Var};
use idmap_web::timeouts::HttpTimeouts;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const fn var(
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    meaning: &'static str,
) -> Var {
    Var {
        name,
        kind,
        default,
        meaning,
    }
}

const SECONDS: Kind = Kind::Integer;
const COUNT: Kind = Kind::Integer;

/// Every environment variable this service reads; everything else is ignored.
pub const ENV_VARS: &[Var] = &[
    var(
        "AUTH_LISTEN",
        Kind::Text,
        Some("127.0.0.1:8081"),
        "address the HTTP server binds",
    ),
    var(
        "AUTH_ISSUER",
        Kind::Text,
        Some("http://127.0.0.1:8081"),
        "public base URL: the `iss` of tokens and the base of endpoint URLs",
    ),
    var(
        "AUTH_DATABASE_URL",
        Kind::Text,
        Some("sqlite://data/auth.db"),
        "sqlite://PATH, postgres://... or mysql://...; a SQLite file is created, its directory must exist",
    ),
    var(
        "AUTH_DB_POOL_SIZE",
        COUNT,
        Some("8"),
        "database connections in the pool",
    ),
    var(
        "AUTH_SIGNING_KEY_DIR",
        Kind::Text,
        Some("data/keys"),
        "directory of the signing keys, the client-secret key and the session key",
    ),
    var(
        "AUTH_SIGNING_ALG",
        Kind::OneOf(&["RS256", "ES256", "EdDSA"]),
        Some("RS256"),
        "algorithm of new signing keys: RS256, ES256 or EdDSA",
    ),
    var(
        "AUTH_ACCESS_TOKEN_TTL",
        SECONDS,
        Some("3600"),
        "access-token lifetime in seconds (1 to 86400)",
    ),
    var(
        "AUTH_JWKS_MAX_AGE",
        SECONDS,
        Some("300"),
        "Cache-Control max-age of the JWKS in seconds",
    ),
    var(
        "AUTH_LOG_FORMAT",
        Kind::OneOf(&["text", "json"]),
        Some("text"),
        "log lines as text or json",
    ),
    var(
        "AUTH_REFRESH_TOKEN_TTL",
        SECONDS,
        Some("2592000"),
        "refresh-token lifetime in seconds (renewed on rotation)",
    ),
    var(
        "AUTH_SESSION_TTL",
        SECONDS,
        Some("28800"),
        "user-center login session lifetime in seconds",
    ),
    var(
        "AUTH_ENABLE_PASSWORD_GRANT",
        Kind::Bool,
        Some("false"),
        "allow grant_type=password",
    ),
    var(
        "AUTH_ENABLE_IMPLICIT_GRANT",
        Kind::Bool,
        Some("false"),
        "allow response_type=token",
    ),
    var(
        "AUTH_KEY_PUBLICATION_DELAY",
        SECONDS,
        None,
        "seconds a rotated key is published before it signs (unset: AUTH_JWKS_MAX_AGE)",
    ),
    var(
        "AUTH_KEY_POLL_INTERVAL",
        SECONDS,
        Some("2"),
        "seconds between checks of the key directory",
    ),
    var(
        "AUTH_RATE_LIMIT_ENABLED",
        Kind::Bool,
        Some("true"),
        "throttle failed client authentications",
    ),
    var(
        "AUTH_RATE_LIMIT_CLIENT_FAILURES",
        COUNT,
        Some("10"),
        "failed client authentications per client id and IP per window",
    ),
    var(
        "AUTH_RATE_LIMIT_IP_FAILURES",
        COUNT,
        Some("30"),
        "failed client authentications per IP per window",
    ),
    var(
        "AUTH_RATE_LIMIT_WINDOW",
        SECONDS,
        Some("60"),
        "client-authentication throttle window in seconds (also the longest block)",
    ),
    var(
        "AUTH_RATE_LIMIT_CLIENT_CEILING",
        COUNT,
        Some("100"),
        "failures per client id from all IPs per window before each IP gets one",
    ),
    var(
        "AUTH_TRUSTED_PROXIES",
        Kind::Text,
        Some("127.0.0.1,::1"),
        "comma-separated addresses or CIDR networks of proxies whose X-Forwarded-For is believed",
    ),
    var(
        "AUTH_MAILER",
        Kind::OneOf(&["file", "smtp", "log"]),
        Some("file"),
        "where user-center mail goes: file, smtp or log",
    ),
    var(
        "AUTH_MAIL_DIR",
        Kind::Text,
        Some("data/mail"),
        "file mailer: directory of one .eml file per message",
    ),
    var(
        "AUTH_SMTP_URL",
        Kind::Text,
        None,
        "smtp mailer: smtps://user:pass@host:465 or smtp://host:587?tls=required",
    ),
    var(
        "AUTH_MAIL_FROM",
        Kind::Text,
        Some("idmap <noreply@localhost>"),
        "sender of user-center mail",
    ),
    var(
        "AUTH_LOGIN_FAILURES",
        COUNT,
        Some("5"),
        "wrong passwords per account and IP per window",
    ),
    var(
        "AUTH_LOGIN_IP_FAILURES",
        COUNT,
        Some("20"),
        "wrong passwords per IP per window",
    ),
    var(
        "AUTH_LOGIN_ACCOUNT_CEILING",
        COUNT,
        Some("20"),
        "wrong passwords per account from all IPs per window before each IP gets one",
    ),
    var(
        "AUTH_LOGIN_WINDOW",
        SECONDS,
        Some("300"),
        "login throttle window in seconds",
    ),
    var(
        "AUTH_REFRESH_FAMILY_TTL",
        SECONDS,
        Some("7776000"),
        "absolute lifetime in seconds of a refresh-token family (rotation does not extend it)",
    ),
    var(
        "AUTH_HEADER_TIMEOUT",
        SECONDS,
        Some("5"),
        "seconds a client has to send the request head",
    ),
    var(
        "AUTH_BODY_TIMEOUT",
        SECONDS,
        Some("30"),
        "seconds a client has to send the whole body; then 408 and the connection closes",
    ),
    var(
        "AUTH_KEEP_ALIVE",
        SECONDS,
        Some("5"),
        "seconds an idle connection stays open (nginx keeps its own below this)",
    ),
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

impl ServiceSettings for Settings {
    const VARS: &'static [Var] = ENV_VARS;

    fn check(&self) -> Result<(), SettingsError> {
        self.timeouts().check("AUTH")?;
        let issuer = url::Url::parse(&self.issuer).map_err(|_| {
            SettingsError::new(format!(
                "AUTH_ISSUER: expected an absolute URL such as https://auth.example.org, got {:?}",
                self.issuer
            ))
        })?;
        // RFC 8414 section 2: https (http allowed here for development), no query or fragment.
        if !matches!(issuer.scheme(), "http" | "https")
            || issuer.query().is_some()
            || issuer.fragment().is_some()
        {
            return Err(SettingsError::new(
                "AUTH_ISSUER must be an http(s) URL without query or fragment",
            ));
        }
        if self.access_token_ttl == 0 || self.access_token_ttl > 86_400 {
            return Err(SettingsError::new(
                "AUTH_ACCESS_TOKEN_TTL must be 1 to 86400 seconds",
            ));
        }
        self.trusted_proxy_list()?;
        if self.key_poll_interval == 0 || self.rate_limit_window == 0 || self.session_ttl == 0 {
            return Err(SettingsError::new(
                "AUTH_KEY_POLL_INTERVAL, AUTH_RATE_LIMIT_WINDOW and AUTH_SESSION_TTL must be positive",
            ));
        }
        if self.refresh_token_ttl == 0 {
            return Err(SettingsError::new(
                "AUTH_REFRESH_TOKEN_TTL must be positive",
            ));
        }
        let smtp_url_missing = self
            .smtp_url
            .as_ref()
            .is_none_or(|url| url.expose_secret().trim().is_empty());
        if self.mailer == MailerKind::Smtp && smtp_url_missing {
            return Err(SettingsError::new(
                "AUTH_MAILER=smtp needs AUTH_SMTP_URL, such as smtps://user:password@mail.example.org:465 \
                 or smtp://mail.example.org:587?tls=required",
            ));
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(SettingsError::new(
                "AUTH_MAIL_FROM must be an address such as 'idmap <noreply@example.org>'",
            ));
        }
        if self.login_window == 0 || self.login_failures == 0 || self.login_ip_failures == 0 {
            return Err(SettingsError::new(
                "AUTH_LOGIN_FAILURES, AUTH_LOGIN_IP_FAILURES and AUTH_LOGIN_WINDOW must be positive",
            ));
        }
        if self.refresh_family_ttl == 0
            || self.rate_limit_client_ceiling == 0
            || self.login_account_ceiling == 0
        {
            return Err(SettingsError::new(
                "AUTH_REFRESH_FAMILY_TTL, AUTH_RATE_LIMIT_CLIENT_CEILING and \
                 AUTH_LOGIN_ACCOUNT_CEILING must be positive",
            ));
        }
        if self.db_pool_size == 0 {
            return Err(SettingsError::new("AUTH_DB_POOL_SIZE must be at least 1"));
        }
        Ok(())
    }
}

impl Settings {
    /// Loads defaults, then `file` if given, then the variables of
    /// [`ENV_VARS`] found in `env` (which may hold anything).
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        settings::load_checked(file, env)
    }

    /// The HTTP time limits (see `idmap_web::timeouts`).
    pub fn timeouts(&self) -> HttpTimeouts {
        HttpTimeouts::from_secs(self.header_timeout, self.body_timeout, self.keep_alive)
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
                        SettingsError::new(format!(
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
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use idmap_web::settings::env_of as env;

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
    fn a_bad_value_names_its_variable_once() {
        let err = Settings::load(None, &env(&[("AUTH_ACCESS_TOKEN_TTL", "abc")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            r#"AUTH_ACCESS_TOKEN_TTL: expected an integer, got "abc""#
        );
        let err = Settings::load(None, &env(&[("AUTH_ISSUER", "auth.example.org")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("AUTH_ISSUER: expected an absolute URL"),
            "{err}"
        );
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
