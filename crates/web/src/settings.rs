//! How both services read their settings: built-in defaults, then an
//! optional TOML file (unknown keys are an error), then environment
//! variables. Each service describes its variables in one table of
//! [`Var`]s; the loader reads exactly those names, and `--help` prints the
//! same table, so the two cannot drift apart.
//!
//! Environment values are checked against their [`Kind`] before they reach
//! the typed settings, so a bad one is reported with the variable's name
//! (`AUTH_ACCESS_TOKEN_TTL: expected an integer, got "abc"`) rather than the
//! settings field behind it. An empty variable without a default counts as
//! unset, as compose files write optional variables that way; any other
//! empty value is a value (an empty integer is refused).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::de::DeserializeOwned;

/// What a variable's value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A non-negative whole number.
    Integer,
    /// A finite decimal number, possibly negative.
    Number,
    /// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// Any text; the service checks it further where it must.
    Text,
    /// One of these words, exactly.
    OneOf(&'static [&'static str]),
}

/// One environment variable a service reads.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    /// The variable, such as `AUTH_LISTEN`.
    pub name: &'static str,
    pub kind: Kind,
    /// `None`: unset unless given (the meaning says what that implies).
    pub default: Option<&'static str>,
    /// One line for `--help` and the guides.
    pub meaning: &'static str,
}

impl Var {
    /// The settings key: the name without its service prefix, in
    /// lowercase (`AUTH_ACCESS_TOKEN_TTL` is `access_token_ttl`), which is
    /// also the key of the TOML file.
    pub fn key(&self) -> String {
        self.name
            .split_once('_')
            .map_or(self.name, |(_, rest)| rest)
            .to_ascii_lowercase()
    }

    /// The value, normalised, or the message naming the variable.
    fn check(&self, value: &str) -> Result<String, SettingsError> {
        let got = |expected: &str| {
            SettingsError::new(format!("{}: expected {expected}, got {value:?}", self.name))
        };
        match self.kind {
            Kind::Integer => value
                .trim()
                .parse::<u64>()
                .map(|n| n.to_string())
                .map_err(|_| got("an integer")),
            Kind::Number => value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|n| n.to_string())
                .ok_or_else(|| got("a number")),
            Kind::Bool => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok("true".into()),
                "false" | "0" | "no" | "off" => Ok("false".into()),
                _ => Err(got("true or false")),
            },
            Kind::Text => Ok(value.to_owned()),
            Kind::OneOf(words) => words
                .iter()
                .find(|w| **w == value.trim())
                .map(|w| (*w).to_owned())
                .ok_or_else(|| got(&format!("one of {}", words.join(", ")))),
        }
    }
}

/// Why the settings could not be loaded: one complete line for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl SettingsError {
    /// A refusal the service's own checks found (name the variable in it).
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A service's typed settings: the table of the variables it reads, and
/// the checks across fields that no variable's [`Kind`] can express.
pub trait ServiceSettings: DeserializeOwned {
    /// Every variable the service reads; everything else is ignored.
    const VARS: &'static [Var];

    /// Refuses values that are well-formed but unusable together (name
    /// the variables in the message).
    fn check(&self) -> Result<(), SettingsError>;
}

/// The settings of a service: [`load`] from its variables, then its
/// [`ServiceSettings::check`].
pub fn load_checked<T: ServiceSettings>(
    file: Option<&Path>,
    env: &HashMap<String, String>,
) -> Result<T, SettingsError> {
    let settings: T = load(T::VARS, file, env)?;
    settings.check()?;
    Ok(settings)
}

/// [`load_checked`] from the process environment, as the binaries start.
pub fn load_from_process<T: ServiceSettings>(file: Option<&Path>) -> Result<T, SettingsError> {
    load_checked(file, &process_env(T::VARS))
}

/// An environment of `pairs` (tests and embedding build one this way).
pub fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Parses the process arguments into `C`, whose `--help` (and that of
/// every subcommand not in `skip`) ends with the variables of `vars`;
/// exits on `--help` or a usage error.
pub fn parse_args<C: clap::Parser>(vars: &[Var], skip: &[&str]) -> C {
    let cmd = with_help(C::command(), vars, skip);
    C::from_arg_matches(&cmd.get_matches()).unwrap_or_else(|e| e.exit())
}

/// Loads `T` from the defaults of `vars`, then `file`, then the variables
/// of `vars` found in `env` (which may hold anything: other names are
/// ignored).
pub fn load<T: DeserializeOwned>(
    vars: &[Var],
    file: Option<&Path>,
    env: &HashMap<String, String>,
) -> Result<T, SettingsError> {
    let internal = |e: config::ConfigError| SettingsError::new(format!("settings: {e}"));
    let mut builder = config::Config::builder();
    for var in vars {
        if let Some(default) = var.default {
            builder = builder.set_default(var.key(), default).map_err(internal)?;
        }
    }
    if let Some(path) = file {
        builder = builder.add_source(
            config::File::from(path)
                .format(config::FileFormat::Toml)
                .required(true),
        );
    }
    for var in vars {
        let value = env.get(var.name);
        if let Some(value) = value.filter(|v| !(v.is_empty() && var.default.is_none())) {
            builder = builder
                .set_override(var.key(), var.check(value)?)
                .map_err(internal)?;
        }
    }
    let in_file = |e: config::ConfigError| match file {
        Some(path) => SettingsError::new(format!("settings file {}: {e}", path.display())),
        None => internal(e),
    };
    builder
        .build()
        .map_err(in_file)?
        .try_deserialize()
        .map_err(in_file)
}

/// The process environment, restricted to the names of `vars`.
pub fn process_env(vars: &[Var]) -> HashMap<String, String> {
    vars.iter()
        .filter_map(|v| {
            std::env::var(v.name)
                .ok()
                .map(|value| (v.name.to_owned(), value))
        })
        .collect()
}

/// The text `--help` ends with: every variable of `vars` with its default
/// and meaning, and the few variables read outside the settings.
pub fn help(vars: &[Var]) -> String {
    let width = vars.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let mut out = String::from(
        "Environment variables (an empty one without a default counts as unset; a \
         --config TOML file takes the same names in lowercase without the prefix, \
         and the environment overrides it):\n",
    );
    for v in vars {
        let default = v
            .default
            .map(|d| format!(" [default: {d}]"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:width$}  {}{default}", v.name, v.meaning);
    }
    out.push_str(
        "\nAlso read: RUST_LOG (log filter, such as debug or info,actix_web=warn), \
         NO_COLOR (plain log lines even on a terminal), RUST_BACKTRACE=1 (a backtrace \
         with a start-up error).",
    );
    out
}

/// `cmd` and all its subcommands (except those named in `skip`, which read
/// no settings) with [`help`] at the end of their `--help`.
pub fn with_help(cmd: clap::Command, vars: &[Var], skip: &[&str]) -> clap::Command {
    fn apply(cmd: clap::Command, text: &str, skip: &[&str]) -> clap::Command {
        cmd.after_help(text.to_owned()).mut_subcommands(|sub| {
            if skip.contains(&sub.get_name()) {
                sub
            } else {
                apply(sub, text, skip)
            }
        })
    }
    apply(cmd, &help(vars), skip)
}

/// Asserts that `help` lists every variable of `vars` on a line of its own
/// with its meaning and default.
#[cfg(any(test, feature = "testing"))]
pub fn assert_help_lists(help: &str, vars: &[Var]) {
    for var in vars {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(var.name))
            .unwrap_or_else(|| panic!("{} missing from\n{help}", var.name));
        assert!(line.contains(var.meaning), "{line}");
        if let Some(default) = var.default {
            assert!(line.contains(&format!("[default: {default}]")), "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        listen: String,
        ttl: u64,
        enabled: bool,
        alg: String,
        #[serde(default)]
        extra: Option<String>,
    }

    const VARS: &[Var] = &[
        Var {
            name: "DEMO_LISTEN",
            kind: Kind::Text,
            default: Some("127.0.0.1:1"),
            meaning: "address",
        },
        Var {
            name: "DEMO_TTL",
            kind: Kind::Integer,
            default: Some("60"),
            meaning: "seconds",
        },
        Var {
            name: "DEMO_ENABLED",
            kind: Kind::Bool,
            default: Some("false"),
            meaning: "switch",
        },
        Var {
            name: "DEMO_ALG",
            kind: Kind::OneOf(&["RS256", "EdDSA"]),
            default: Some("RS256"),
            meaning: "algorithm",
        },
        Var {
            name: "DEMO_EXTRA",
            kind: Kind::Text,
            default: None,
            meaning: "optional",
        },
    ];

    fn err(pairs: &[(&str, &str)]) -> String {
        load::<Demo>(VARS, None, &env_of(pairs))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_then_environment() {
        let d: Demo = load(VARS, None, &HashMap::new()).unwrap();
        assert_eq!(
            (d.listen.as_str(), d.ttl, d.enabled),
            ("127.0.0.1:1", 60, false)
        );
        assert_eq!((d.alg.as_str(), d.extra), ("RS256", None));
        let d: Demo = load(
            VARS,
            None,
            &env_of(&[
                ("DEMO_TTL", " 5 "),
                ("DEMO_ENABLED", "Yes"),
                ("DEMO_ALG", "EdDSA"),
                ("DEMO_EXTRA", "x"),
                ("DEMO_UNRELATED", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!((d.ttl, d.enabled, d.alg.as_str()), (5, true, "EdDSA"));
        assert_eq!(d.extra.as_deref(), Some("x"));
    }

    #[test]
    fn empty_optional_variables_count_as_unset() {
        let d: Demo = load(
            VARS,
            None,
            &env_of(&[("DEMO_EXTRA", ""), ("DEMO_LISTEN", "")]),
        )
        .unwrap();
        assert_eq!((d.extra, d.listen.as_str()), (None, ""));
        assert_eq!(
            err(&[("DEMO_TTL", "")]),
            r#"DEMO_TTL: expected an integer, got """#
        );
    }

    #[test]
    fn bad_values_name_the_variable_once() {
        assert_eq!(
            err(&[("DEMO_TTL", "abc")]),
            r#"DEMO_TTL: expected an integer, got "abc""#
        );
        assert_eq!(
            err(&[("DEMO_TTL", "-1")]),
            r#"DEMO_TTL: expected an integer, got "-1""#
        );
        assert_eq!(
            err(&[("DEMO_ENABLED", "maybe")]),
            r#"DEMO_ENABLED: expected true or false, got "maybe""#
        );
        assert_eq!(
            err(&[("DEMO_ALG", "HS256")]),
            r#"DEMO_ALG: expected one of RS256, EdDSA, got "HS256""#
        );
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let e = load::<Demo>(VARS, Some(&path), &HashMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("settings file ") && e.contains("lisen"),
            "{e}"
        );
        std::fs::write(&path, "ttl = 7\n").unwrap();
        let d: Demo = load(VARS, Some(&path), &HashMap::new()).unwrap();
        assert_eq!(d.ttl, 7);
        let d: Demo = load(VARS, Some(&path), &env_of(&[("DEMO_TTL", "8")])).unwrap();
        assert_eq!(d.ttl, 8, "the environment wins over the file");
    }

    #[test]
    fn help_lists_every_variable_with_its_default() {
        assert_help_lists(&help(VARS), VARS);
        assert_eq!(VARS[1].key(), "ttl");
    }
}
