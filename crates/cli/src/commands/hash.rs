//! `idmap hash`: merges options with the config file, sets up the secret,
//! opens the files and runs the pipeline. All logic lives in the library
//! modules; this file only wires them to the outside world.

use crate::config::{ConfigFile, parse_delimiter};
use crate::hasher::Hasher;
use crate::input::{Column, ColumnNames};
use crate::normalize::SlashOrder;
use crate::pipeline::{HashOptions, RowProblem, hash_stream};
use crate::rules::{Field, Rule};
use crate::secret::{SecretSources, load_hasher};
use anyhow::{Context, bail};
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

/// How many bad rows are listed one by one before only counting them.
const MAX_LISTED_PROBLEMS: u64 = 100;

const AFTER_HELP: &str = "\
Rules (text = fields concatenated after normalization, then the salt appended, sha256 hex):
  F_L_D_S first+last+dob+sex     F_L_D_R last+first+dob+race (last name first)
  F_L_D_Z first+last+dob+zip     L_F_D_Z last+first+dob+zip
  F_L_D_C first+last+dob+city    L_F_D_C last+first+dob+city
A rule is skipped for a row (empty cell) when one of its fields is empty after
normalization, when sex is NI/UN/OT, or when race is NI/UN/OT/07 (after a
one-character race is padded with 0; case-insensitive).

Normalization: every character that is not a letter or number is deleted
(spaces and punctuation included), then the text is lowercased, as the older
Python hashers did. Dates: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY (DD/MM/YYYY with
--day-first); they become YYYY-MM-DD. Two-digit years are refused.

Columns: by default the header names ref/patid, first/first_name, last/last_name,
dob/birth_date, sex, race, zip, city are recognized (case-insensitively); map
others with --column FIELD=HEADER (FIELD is ref, first, last, dob, sex, race,
zip or city) or in the config file's [input.columns].

Secret (never on the command line): --salt-file FILE (or IDMAP_SALT_FILE), the
variable IDMAP_SALT (or the one named by --salt-env), or --hmac-key-file FILE
(or IDMAP_HMAC_KEY_FILE; hex) for HMAC-SHA256. One trailing newline in a file is
ignored. Salts and keys under 16 bytes are refused; --legacy-no-salt hashes with
the empty salt of older networks. A secret configured in two places is refused
rather than guessed; one named by an option replaces the config file's.

Bad rows: a row whose date or encoding cannot be read is reported on stderr by
row number (never with its values) and written with its ref and empty hash
cells, so the output has one line per input row and the run still exits 0.
Row N is the Nth data row after the header, blank lines not counted; it is
line N+1 of the output. Blank lines (and rows of empty cells) are skipped.
Fatal problems (unreadable input, missing column, bad secret) exit 1 and
leave no partial output file.";

/// Options of `idmap hash`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct HashArgs {
    /// Input CSV/TSV file; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,

    /// Output file (written atomically); standard output when absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Rules to apply, comma-separated, in output column order.
    #[arg(short, long, value_delimiter = ',', value_name = "RULES")]
    pub rules: Vec<Rule>,

    /// Map a field to a header name: FIELD=HEADER; repeatable.
    #[arg(long = "column", value_name = "FIELD=HEADER", value_parser = parse_column)]
    pub columns: Vec<(Column, String)>,

    /// Input delimiter: auto (from the header line), tab, comma, semicolon, pipe or a character.
    #[arg(short, long, value_name = "DELIM")]
    pub delimiter: Option<String>,

    /// Output delimiter; the input's when absent.
    #[arg(long, value_name = "DELIM")]
    pub output_delimiter: Option<String>,

    /// Read slashed dates as DD/MM/YYYY instead of MM/DD/YYYY.
    #[arg(long)]
    pub day_first: bool,

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

    /// Print the fingerprint of the configured salt or key (for the server's
    /// IDMAP_SALT_FINGERPRINTS) and exit without reading input.
    #[arg(long)]
    pub print_fingerprint: bool,

    /// Do not print the summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_column(s: &str) -> Result<(Column, String), String> {
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

/// Runs the subcommand.
pub fn run(args: HashArgs, config: &ConfigFile) -> anyhow::Result<()> {
    let hasher = load_hasher(&secret_sources(&args, config), |name| {
        std::env::var_os(name)
    })?;
    if args.print_fingerprint {
        println!("{}", hasher.fingerprint());
        return Ok(());
    }
    let options = hash_options(&args, config)?;
    let input_path = args.input.filter(|p| p.as_os_str() != "-");
    match input_path {
        Some(path) => {
            let file = std::fs::File::open(&path)
                .with_context(|| format!("cannot open the input {}", path.display()))?;
            write_output(
                BufReader::new(file),
                args.output,
                &options,
                &hasher,
                args.quiet,
            )
        }
        None => write_output(
            std::io::stdin().lock(),
            args.output,
            &options,
            &hasher,
            args.quiet,
        ),
    }
}

fn write_output(
    input: impl std::io::BufRead,
    output: Option<PathBuf>,
    options: &HashOptions,
    hasher: &Hasher,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut listed = 0u64;
    let mut report = |problem: &RowProblem| {
        listed += 1;
        if listed <= MAX_LISTED_PROBLEMS {
            eprintln!("idmap hash: row {}: {}", problem.row, problem.error);
        } else if listed == MAX_LISTED_PROBLEMS + 1 {
            eprintln!("idmap hash: further bad rows are counted but not listed");
        }
    };
    let summary = match output {
        Some(path) => {
            // A temporary file beside the target, renamed at the end, so a
            // failed run never leaves a truncated output for the next step.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot create a file in {}", dir.display()))?;
            let summary = hash_stream(
                input,
                BufWriter::new(tmp.as_file_mut()),
                options,
                hasher,
                &mut report,
            )?;
            tmp.as_file()
                .sync_all()
                .context("cannot write the output")?;
            tmp.persist(&path)
                .with_context(|| format!("cannot write the output {}", path.display()))?;
            summary
        }
        None => {
            let stdout = std::io::stdout().lock();
            let mut out = BufWriter::new(stdout);
            let summary = hash_stream(input, &mut out, options, hasher, &mut report)?;
            out.flush().context("cannot write the output")?;
            summary
        }
    };
    if !quiet {
        eprintln!(
            "idmap hash: {} rows, {} hashes, {} bad rows",
            summary.rows, summary.hashes, summary.rows_with_errors
        );
    }
    Ok(())
}

fn secret_sources(args: &HashArgs, config: &ConfigFile) -> SecretSources {
    let from_file = &config.hash;
    // A secret named on the command line (or by its environment variable)
    // replaces the config file's secret rather than conflicting with it.
    let cli_names_secret =
        args.salt_file.is_some() || args.hmac_key_file.is_some() || args.salt_env.is_some();
    if cli_names_secret || args.legacy_no_salt {
        SecretSources {
            salt_file: args.salt_file.clone(),
            salt_env: args.salt_env.clone(),
            hmac_key_file: args.hmac_key_file.clone(),
            legacy_no_salt: args.legacy_no_salt,
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

fn hash_options(args: &HashArgs, config: &ConfigFile) -> anyhow::Result<HashOptions> {
    let rules = if args.rules.is_empty() {
        config
            .hash
            .rules
            .iter()
            .flatten()
            .map(|code| code.parse::<Rule>())
            .collect::<Result<Vec<_>, _>>()
            .context("in the config file's [hash] rules")?
    } else {
        args.rules.clone()
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

    let delimiter_option = |cli: &Option<String>, file: &Option<String>, what: &str| {
        cli.as_ref()
            .or(file.as_ref())
            .map(|s| parse_delimiter(s))
            .transpose()
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))
            .map(Option::flatten)
    };
    let delimiter = delimiter_option(&args.delimiter, &config.input.delimiter, "--delimiter")?;
    let output_delimiter = delimiter_option(
        &args.output_delimiter,
        &config.hash.output_delimiter,
        "--output-delimiter",
    )?;

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
    for (column, name) in &args.columns {
        columns.set(*column, name.clone());
    }

    let day_first = args.day_first || config.input.day_first.unwrap_or(false);
    Ok(HashOptions {
        rules,
        delimiter,
        output_delimiter,
        slash_order: if day_first {
            SlashOrder::DayFirst
        } else {
            SlashOrder::MonthFirst
        },
        columns,
    })
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
