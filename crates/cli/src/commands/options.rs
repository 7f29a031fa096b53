//! Option groups shared by several subcommands: how to read and hash the
//! input (`hash` and `run`) and where the network secret is (`hash`, `link`
//! and `run`). Each group merges itself with the config file, so every
//! subcommand resolves them the same way.

use crate::config::{ConfigFile, parse_delimiter};
use crate::input::{Column, ColumnNames};
use crate::normalize::SlashOrder;
use crate::pipeline::HashOptions;
use crate::rules::{Field, Rule};
use crate::secret::SecretSources;
use anyhow::{Context, bail};
use std::path::PathBuf;

/// How to read the identifying fields and which rules to apply.
#[derive(Debug, Clone, clap::Args)]
pub struct HashingArgs {
    /// Rules to apply, comma-separated, in output column order.
    #[arg(short, long, value_delimiter = ',', value_name = "RULES")]
    pub rules: Vec<Rule>,

    /// Map a field to a header name: FIELD=HEADER; repeatable.
    #[arg(long = "column", value_name = "FIELD=HEADER", value_parser = parse_column)]
    pub columns: Vec<(Column, String)>,

    /// Input delimiter: auto (from the header line), tab, comma, semicolon, pipe or a character.
    #[arg(short, long, value_name = "DELIM")]
    pub delimiter: Option<String>,

    /// Read slashed dates as DD/MM/YYYY instead of MM/DD/YYYY.
    #[arg(long)]
    pub day_first: bool,
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
            config
                .hash
                .rules
                .iter()
                .flatten()
                .map(|code| code.parse::<Rule>())
                .collect::<Result<Vec<_>, _>>()
                .context("in the config file's [hash] rules")?
        } else {
            self.rules.clone()
        };
        if rules.is_empty() {
            bail!(
                "no rules chosen: pass --rules (e.g. --rules F_L_D_S,F_L_D_R) or set [hash] rules in the config file"
            );
        }
        let mut seen = Vec::new();
        for rule in &rules {
            if seen.contains(rule) {
                bail!("rule {rule} is listed twice");
            }
            seen.push(*rule);
        }

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
        })
    }
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
}
