//! `idmap hash`: merges options with the config file, sets up the secret,
//! opens the files and runs the pipeline. All logic lives in the library
//! modules; this file only wires them to the outside world.

use crate::commands::options::{HashingArgs, SecretArgs, delimiter_option};
use crate::config::ConfigFile;
use crate::decode::open_input;
use crate::hasher::Hasher;
use crate::pipeline::{HashOptions, RowProblem, hash_stream};
use anyhow::{Context, bail};
use std::io::{BufWriter, Write};
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
one-character race is padded with 0; case-insensitive). Sex is expected as
M, F or A and race as 01 to 07; other values (Male, White) are hashed as
written, which does not match the codes other sites send, so the run warns
once with their count and first row.

Match keys: a network can define more rules in the config file's
[[hash.keys]] (code, and fields with transforms: exact, initial, prefix(N),
soundex, nysiis, metaphone, year, year_month); their text is the code and
the transformed values joined by |, e.g. L_D_Z|smith|1980-02-03|32601, salted
and hashed like the built-ins. --rules lists built-in codes and key codes in
priority order. `idmap rules` shows what each code hashes.

Placeholders: values that identify nobody (UNKNOWN, BABY BOY, JOHN DOE,
1900-01-01, ZIP 00000, ...; the lists are in [placeholders]) skip the rules
that read them for that row; the summary counts them per field and reason.
--no-screen (or screen = false in [hash]) hashes them as the older hashers did.

Normalization: every character that is not a letter or number is deleted
(spaces and punctuation included), then the text is lowercased, as the older
Python hashers did. Dates: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY (DD/MM/YYYY with
--day-first); they become YYYY-MM-DD. Two-digit years are refused.

Encoding: UTF-8, with or without a byte order mark, or UTF-16 as spreadsheets
save \"Unicode text\" (recognized and decoded; the hashes are those of the text).

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
cells (for a bad date, only the cells of the rules that read the date), so
the output has one line per input row and the run still exits 0.
Row N is the Nth data row after the header, blank lines not counted; it is
line N+1 of the output. Blank lines (and rows of empty cells) are skipped.
Fatal problems (unreadable input, missing column, bad secret) exit 1 and
leave no partial output file. An existing output file is not replaced
unless --force is given.";

/// Options of `idmap hash`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct HashArgs {
    /// Input CSV/TSV file; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,

    /// Output file (written atomically); standard output when absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace the output file if it exists (it is refused otherwise).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub hashing: HashingArgs,

    /// Output delimiter; the input's when absent.
    #[arg(long, value_name = "DELIM")]
    pub output_delimiter: Option<String>,

    #[command(flatten)]
    pub secret: SecretArgs,

    /// Print the fingerprint of the configured salt or key (for the server's
    /// IDMAP_SALT_FINGERPRINTS) and exit without reading input.
    #[arg(long)]
    pub print_fingerprint: bool,

    /// Do not print the summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs the subcommand.
pub fn run(args: HashArgs, config: &ConfigFile) -> anyhow::Result<()> {
    let hasher = args
        .secret
        .hasher(config, |warning| eprintln!("idmap hash: {warning}"))?;
    if args.print_fingerprint {
        println!("{}", hasher.fingerprint());
        return Ok(());
    }
    let mut options = args.hashing.options(config)?;
    options.output_delimiter = parse_output_delimiter(&args.output_delimiter, config)?;
    let input = open_input(&args.input)?;
    if let Some(notice) = input.notice().filter(|_| !args.quiet) {
        eprintln!("idmap hash: {notice}");
    }
    write_output(
        input.reader,
        args.output,
        args.force,
        &options,
        &hasher,
        args.quiet,
    )
}

fn write_output(
    input: impl std::io::BufRead,
    output: Option<PathBuf>,
    force: bool,
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
            if !force && path.exists() {
                bail!(
                    "the output {} already exists; pass --force to replace it (or choose another name)",
                    path.display()
                );
            }
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
        if let Some(line) = summary.screened.summary() {
            eprintln!("idmap hash: {line}");
        }
    }
    // A warning, not a summary: -q keeps it.
    for warning in summary.codes.warnings() {
        eprintln!("idmap hash: {warning}");
    }
    Ok(())
}

fn parse_output_delimiter(cli: &Option<String>, config: &ConfigFile) -> anyhow::Result<Option<u8>> {
    delimiter_option(cli, &config.hash.output_delimiter, "--output-delimiter")
}
