//! `idmap run`: hashes the identifying fields and links them in one process,
//! so no hash file is ever written. Takes the input and secret options of
//! `idmap hash` and the server, output and resume options of `idmap link`;
//! the salt fingerprint comes from the salt or key itself.

use crate::commands::options::{HashingArgs, SecretArgs};
use crate::commands::session::{LinkArgs, drive};
use crate::config::ConfigFile;
use crate::exit::Outcome;
use crate::pipeline::HashedRows;
use crate::progress::Log;
use crate::rules::HashRule;

const AFTER_HELP: &str = "\
Reads a CSV/TSV of identifying fields as `idmap hash` does (see `idmap hash
--help` for rules, columns, dates and secrets), hashes each row in memory and
links it as `idmap link` does (see `idmap link --help` for credentials,
output, resume, retries and progress). A row whose date or encoding cannot be
read, or for which every rule is skipped, is reported by row number (with
the fields that were empty, unknown codes or placeholders, never their
values) and not sent; a row whose date cannot be read but which has hashes of rules that do
not read it is reported and sent with those. The summary counts the
placeholders screened, per field and reason. The salt
fingerprint sent with each request is computed from the salt or key.";

/// Options of `idmap run`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = format!("{AFTER_HELP}\n\n{}", crate::exit::HELP))]
pub struct RunArgs {
    /// Input CSV/TSV file; `-` or nothing reads standard input.
    pub input: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub hashing: HashingArgs,

    #[command(flatten)]
    pub secret: SecretArgs,

    #[command(flatten)]
    pub link: LinkArgs,
}

/// Runs `idmap run`.
pub fn run(args: RunArgs, config: &ConfigFile) -> anyhow::Result<Outcome> {
    let log = Log::new("idmap run", args.link.verbose);
    let hasher = args.secret.hasher(config, |warning| log.info(warning))?;
    let fingerprint = hasher.fingerprint();
    let options = args.hashing.options(config)?;
    // A resumed run must hash the same way: same codes, same key
    // definitions, same screening (the built-in-only, screened form keeps
    // the fingerprint of earlier versions, so their unfinished runs resume).
    let codes: Vec<&str> = options.rules.iter().map(HashRule::code).collect();
    let mut mode = vec!["run".to_owned(), codes.join(",")];
    mode.extend(options.rules.iter().filter_map(|rule| match rule {
        HashRule::Key(key) => Some(format!("{}={}", key.code(), key.definition())),
        HashRule::Builtin(_) => None,
    }));
    if options.screen.is_none() {
        mode.push("no-screen".to_owned());
    }
    drive(
        &args.input,
        &args.link,
        config,
        &fingerprint,
        "idmap run",
        |reader| Ok((HashedRows::open(reader, &options, hasher)?, mode)),
    )
}
