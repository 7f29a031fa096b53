//! Option groups shared by several subcommands: how to read and hash the
//! input (`hash` and `run`) and where the network secret is (`hash`, `link`
//! and `run`). Each group merges itself with the config file, so every
//! subcommand resolves them the same way.

use crate::config::{ConfigFile, KeyConfig, parse_delimiter};
use crate::hasher::Hasher;
use crate::input::{Column, ColumnNames};
use crate::keys::MatchKey;
use crate::normalize::SlashOrder;
use crate::pipeline::HashOptions;
use crate::rules::{Field, HashRule, Rule};
use crate::screen::Placeholders;
use crate::secret::{SecretError, SecretSources, load_hasher};
use anyhow::{Context, bail};
use std::path::PathBuf;

/// How to read the identifying fields and which rules to apply.
#[derive(Debug, Clone, clap::Args)]
pub struct HashingArgs {
    /// Rules to apply, comma-separated, in priority order (the output's
    /// column order and the order hashes are sent in): built-in codes or
    /// keys defined in the config file's [[hash.keys]].
    #[arg(short, long, value_delimiter = ',', value_name = "RULES")]
    pub rules: Vec<String>,

    /// Map a field to a header name: FIELD=HEADER; repeatable.
    #[arg(long = "column", value_name = "FIELD=HEADER", value_parser = parse_column)]
    pub columns: Vec<(Column, String)>,

    /// Input delimiter: auto (from the header line), tab, comma, semicolon, pipe or a character.
    #[arg(short, long, value_name = "DELIM")]
    pub delimiter: Option<String>,

    /// Read slashed dates as DD/MM/YYYY instead of MM/DD/YYYY.
    #[arg(long)]
    pub day_first: bool,

    /// Hash placeholder values too (UNKNOWN, BABY BOY, 1900-01-01, ...), as
    /// the older hashers did; reproduces their output exactly.
    #[arg(long)]
    pub no_screen: bool,
}

/// Where the salt or HMAC key is; never the secret itself.
#[derive(Debug, Clone, clap::Args)]
pub struct SecretArgs {
    /// File holding the salt.
    #[arg(long, env = "IDMAP_SALT_FILE", value_name = "FILE")]
    pub salt_file: Option<PathBuf>,

    /// Environment variable holding the salt [default: IDMAP_SALT].
    #[arg(long, value_name = "VAR")]
    pub salt_env: Option<String>,

    /// File holding an HMAC-SHA256 key in hex; hashes are HMAC(key, text).
    #[arg(long, env = "IDMAP_HMAC_KEY_FILE", value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,

    /// Hash with an empty salt, as some older networks did; nothing else allows it.
    #[arg(long)]
    pub legacy_no_salt: bool,
}

/// Parses `FIELD=HEADER`.
pub fn parse_column(s: &str) -> Result<(Column, String), String> {
    let (role, header) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FIELD=HEADER, got {s:?}"))?;
    let column = std::iter::once(Column::Ref)
        .chain(Field::ALL.map(Column::Field))
        .find(|c| c.name() == role.trim())
        .ok_or_else(|| {
            format!("unknown field {role:?}; use ref, first, last, dob, sex, race, zip or city")
        })?;
    if header.trim().is_empty() {
        return Err("the header name is empty".into());
    }
    Ok((column, header.trim().to_owned()))
}

/// A delimiter from the command line, else from the config file.
pub fn delimiter_option(
    cli: &Option<String>,
    file: &Option<String>,
    what: &str,
) -> anyhow::Result<Option<u8>> {
    cli.as_ref()
        .or(file.as_ref())
        .map(|s| parse_delimiter(s))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))
        .map(Option::flatten)
}

impl SecretArgs {
    /// The hasher of the configured secret. Each warning about where it was
    /// read from (a file others can read, say) goes to `warn` first.
    pub fn hasher(&self, config: &ConfigFile, warn: impl Fn(&str)) -> Result<Hasher, SecretError> {
        let sources = self.sources(config);
        let hasher = load_hasher(&sources, |name| std::env::var_os(name))?;
        for warning in sources.warnings() {
            warn(&warning);
        }
        Ok(hasher)
    }

    /// Whether any secret option was given (as an option or its variable).
    pub fn any(&self) -> bool {
        self.salt_file.is_some()
            || self.hmac_key_file.is_some()
            || self.salt_env.is_some()
            || self.legacy_no_salt
    }

    /// The secret's sources: these options, or the config file's when no
    /// option names a secret.
    pub fn sources(&self, config: &ConfigFile) -> SecretSources {
        let from_file = &config.hash;
        // A secret named on the command line (or by its environment variable)
        // replaces the config file's secret rather than conflicting with it.
        if self.any() {
            SecretSources {
                salt_file: self.salt_file.clone(),
                salt_env: self.salt_env.clone(),
                hmac_key_file: self.hmac_key_file.clone(),
                legacy_no_salt: self.legacy_no_salt,
            }
        } else {
            SecretSources {
                salt_file: from_file.salt_file.clone(),
                salt_env: from_file.salt_env.clone(),
                hmac_key_file: from_file.hmac_key_file.clone(),
                legacy_no_salt: from_file.legacy_no_salt.unwrap_or(false),
            }
        }
    }
}

impl HashingArgs {
    /// The pipeline options, merged with the config file (options win).
    /// The output delimiter is left to the caller.
    pub fn options(&self, config: &ConfigFile) -> anyhow::Result<HashOptions> {
        let rules = if self.rules.is_empty() {
            resolve_rules(config.hash.rules.iter().flatten(), &config.hash.keys)
                .context("in the config file's [hash] rules")?
        } else {
            resolve_rules(&self.rules, &config.hash.keys)?
        };
        if rules.is_empty() {
            bail!(
                "no rules chosen: pass --rules (e.g. --rules F_L_D_S,F_L_D_R) or set [hash] rules in the config file"
            );
        }
        let screen = if self.no_screen || config.hash.screen == Some(false) {
            None
        } else {
            Some(Placeholders::from_config(&config.placeholders)?)
        };

        let delimiter = delimiter_option(&self.delimiter, &config.input.delimiter, "--delimiter")?;

        let c = &config.input.columns;
        let mut columns = ColumnNames::default();
        let configured = [
            (Column::Ref, &c.reference),
            (Column::Field(Field::First), &c.first),
            (Column::Field(Field::Last), &c.last),
            (Column::Field(Field::Dob), &c.dob),
            (Column::Field(Field::Sex), &c.sex),
            (Column::Field(Field::Race), &c.race),
            (Column::Field(Field::Zip), &c.zip),
            (Column::Field(Field::City), &c.city),
        ];
        for (column, name) in configured {
            if let Some(name) = name {
                columns.set(column, name.clone());
            }
        }
        for (column, name) in &self.columns {
            columns.set(*column, name.clone());
        }

        let day_first = self.day_first || config.input.day_first.unwrap_or(false);
        Ok(HashOptions {
            rules,
            delimiter,
            output_delimiter: None,
            slash_order: if day_first {
                SlashOrder::DayFirst
            } else {
                SlashOrder::MonthFirst
            },
            columns,
            screen,
        })
    }
}

/// Turns rule codes into rules: built-in codes, or keys of the config file
/// (every key is checked, used or not, so a broken definition is found on
/// the first run rather than the day it is listed).
pub fn resolve_rules<'a>(
    codes: impl IntoIterator<Item = &'a String>,
    keys: &[KeyConfig],
) -> anyhow::Result<Vec<HashRule>> {
    let mut defined: Vec<MatchKey> = Vec::with_capacity(keys.len());
    for key in keys {
        let key = MatchKey::parse(&key.code, &key.fields)
            .context("in the config file's [[hash.keys]]")?;
        if defined.iter().any(|k| k.code() == key.code()) {
            bail!(
                "in the config file's [[hash.keys]]: key {} is defined twice",
                key.code()
            );
        }
        defined.push(key);
    }
    let mut rules: Vec<HashRule> = Vec::new();
    for code in codes {
        let code = code.trim();
        let rule = match code.parse::<Rule>() {
            Ok(rule) => HashRule::Builtin(rule),
            Err(_) => match defined.iter().find(|k| k.code() == code) {
                Some(key) => HashRule::Key(key.clone()),
                None => {
                    let codes: Vec<&str> = defined.iter().map(MatchKey::code).collect();
                    let keys = if codes.is_empty() {
                        "none".to_owned()
                    } else {
                        codes.join(", ")
                    };
                    bail!(
                        "unknown rule {code:?}; built-in rules: F_L_D_S, F_L_D_R, F_L_D_Z, L_F_D_Z, \
                         F_L_D_C, L_F_D_C; keys defined in the config file's [[hash.keys]]: {keys}"
                    );
                }
            },
        };
        if rules.iter().any(|r| r.code() == rule.code()) {
            bail!("rule {code} is listed twice");
        }
        rules.push(rule);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_mappings_parse() {
        assert_eq!(
            parse_column("first=first_name2").unwrap(),
            (Column::Field(Field::First), "first_name2".to_owned())
        );
        assert_eq!(parse_column("ref= PATID ").unwrap().1, "PATID");
        assert!(parse_column("middle=m").is_err());
        assert!(parse_column("first").is_err());
        assert!(parse_column("first=").is_err());
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn key(code: &str, fields: &[&str]) -> KeyConfig {
        KeyConfig {
            code: code.into(),
            fields: codes(fields),
        }
    }

    #[test]
    fn rules_resolve_to_built_ins_and_configured_keys_in_order() {
        let keys = [
            key("L_D_Z", &["last", "dob", "zip"]),
            key("UNUSED", &["first", "dob"]),
        ];
        let rules = resolve_rules(&codes(&["L_D_Z", "F_L_D_S"]), &keys).unwrap();
        let got: Vec<&str> = rules.iter().map(HashRule::code).collect();
        assert_eq!(got, ["L_D_Z", "F_L_D_S"]);
        assert!(matches!(rules[0], HashRule::Key(_)));
    }

    #[test]
    fn unknown_repeated_and_broken_rules_are_refused() {
        let keys = [key("L_D_Z", &["last", "dob", "zip"])];
        let err = resolve_rules(&codes(&["L_D_C"]), &keys)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown rule \"L_D_C\"") && err.contains(": L_D_Z"),
            "{err}"
        );
        let err = resolve_rules(&codes(&["L_D_C"]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("[[hash.keys]]: none"), "{err}");
        let err = resolve_rules(&codes(&["L_D_Z", "L_D_Z"]), &keys)
            .unwrap_err()
            .to_string();
        assert!(err.contains("listed twice"), "{err}");
        let twice = [key("K", &["last", "dob"]), key("K", &["first", "dob"])];
        let err = resolve_rules(&codes(&["F_L_D_S"]), &twice)
            .unwrap_err()
            .to_string();
        assert!(err.contains("defined twice"), "{err}");
        let broken = [key("K", &["last", "dob:soundex"])];
        let err = format!(
            "{:#}",
            resolve_rules(&codes(&["F_L_D_S"]), &broken).unwrap_err()
        );
        assert!(err.contains("soundex does not apply to dob"), "{err}");
    }
}
