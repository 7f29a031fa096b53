//! `idmap link`: sends the output of `idmap hash` to the server in batches
//! and writes `ref,uuid`. The salt fingerprint comes from an option or from
//! the same salt options as `hash`; everything else (server, credentials,
//! output, resume) is shared with `idmap run` in `session`.

use crate::commands::options::SecretArgs;
use crate::commands::session::{LinkArgs, drive};
use crate::config::ConfigFile;
use crate::exit::Outcome;
use crate::hashfile::HashFileReader;
use crate::progress::Log;
use anyhow::{Context, bail};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Input: the output of `idmap hash` (a `ref` column, then one column per rule
named by its code; the delimiter is detected). Empty cells are skipped rules.
A row with no hash, without a ref, or with a damaged cell is reported by row
number on stderr and not sent; the others are linked.

Salt fingerprint: every request carries the fingerprint of the salt or key
the hashes were made with, so that the server can refuse hashes made with
the wrong salt (422 salt_mismatch, exit 5). Give it with --salt-fingerprint
(printed by `idmap hash --print-fingerprint`), or give the same salt options
as for `hash` (or the same config file) and it is computed.

Credentials: --client-id with the secret in --client-secret-file or the
variable IDMAP_CLIENT_SECRET (never on the command line). The token endpoint
is --token-url, or found in the metadata of --issuer. Tokens are cached and
renewed before they expire, and once more when the server answers 401.

Output and resume: -o FILE receives `ref,uuid` rows, appended and synced to
disk batch by batch, with FILE.idmap-state beside it while the run is
unfinished. Running the same command again after a kill, Ctrl-C, a crash or
exit 3 or 4 resumes after the last committed batch (a batch answered but not
yet written is sent again, which is safe: the server answers the same UUIDs
for refs it knows). A run that stops before the server accepted any batch
leaves no output and no state file, so once the cause (a secret, a salt) is
fixed the same command starts afresh. A resume with another input, salt or
options is refused (the server URL may change). A finished output is never
overwritten unless --restart is given. Without -o the rows go to standard
output and there is no resume. A run that stops says what to do next.

Retries: network errors, 408, 429 and 5xx are retried with exponential
backoff and jitter, honouring Retry-After, up to --retries attempts and
--retry-max-time seconds per batch. Other 4xx stop the run with the
server's message.

Progress: a bar with rate and ETA on a terminal; otherwise one line every
--progress-interval seconds (for cron logs), every line stamped with the UTC
time. Rate and ETA count only this run's rows. A summary ends every run.
Nothing printed holds identifying fields; hashes appear only with -v.";

/// Options of `idmap link`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = format!("{AFTER_HELP}\n\n{}", crate::exit::HELP))]
pub struct LinkCmdArgs {
    /// Hash file written by `idmap hash`; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,

    /// Salt fingerprint of the hashes (16 hex), as `idmap hash --print-fingerprint` prints it.
    #[arg(long, env = "IDMAP_SALT_FINGERPRINT", value_name = "HEX")]
    pub salt_fingerprint: Option<String>,

    #[command(flatten)]
    pub secret: SecretArgs,

    #[command(flatten)]
    pub link: LinkArgs,
}

/// Runs `idmap link`.
pub fn run(args: LinkCmdArgs, config: &ConfigFile) -> anyhow::Result<Outcome> {
    let fingerprint = salt_fingerprint(&args, config)?;
    drive(
        &args.input,
        &args.link,
        config,
        &fingerprint,
        "idmap link",
        |reader| {
            let source = HashFileReader::open(reader)?;
            let rules = source.rules().join(",");
            Ok((source, vec!["link".to_owned(), rules]))
        },
    )
}

fn salt_fingerprint(args: &LinkCmdArgs, config: &ConfigFile) -> anyhow::Result<String> {
    if let Some(fp) = &args.salt_fingerprint {
        if !idmap_common::fingerprint::is_fingerprint(fp.trim()) {
            bail!("--salt-fingerprint must be 16 hex characters");
        }
        if args.secret.any() {
            bail!("give either --salt-fingerprint or the salt options, not both");
        }
        return Ok(fp.trim().to_ascii_lowercase());
    }
    let log = Log::new("idmap link", args.link.verbose);
    let hasher = args
        .secret
        .hasher(config, |warning| log.info(warning))
        .context(
            "idmap link sends the salt fingerprint with every request: pass --salt-fingerprint \
             (from `idmap hash --print-fingerprint`) or the salt options used with `idmap hash`",
        )?;
    Ok(hasher.fingerprint())
}
