//! The options `idmap link` and `idmap run` share (server, credentials,
//! TLS, retries, output and resume) and [`drive`], which turns them into an
//! HTTP client, a token source, a journal and a progress display, and runs
//! the linker over a row source until it ends, fails or is interrupted
//! (Ctrl-C or SIGTERM stop it between two awaits, so a committed batch is
//! never torn). A run that stops says what to do next.

use crate::client::api::LinkApi;
use crate::client::retry::RetryPolicy;
use crate::client::token::{TokenEndpoint, TokenSource};
use crate::client::{HttpOptions, build_http, warn_if_plain_http};
use crate::config::ConfigFile;
use crate::decode::open_input;
use crate::exit::{Failure, Kept, NextStep, Outcome, next_step};
use crate::linker::{LinkSettings, Sink, link_rows};
use crate::progress::{Counts, Log, Progress, ProgressOptions};
use crate::resume::{Journal, OUTPUT_HEADER, settings_fingerprint};
use crate::secret::{loose_permissions, read_secret_file};
use crate::source::RowSource;
use anyhow::{Context, bail};
use secrecy::SecretString;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Largest batch the server accepts by default (`IDMAP_MAX_PATIENTS`).
pub const MAX_BATCH: usize = 10_000;

/// Batch size when neither option nor config file sets one.
pub const DEFAULT_BATCH: usize = 1000;

/// Variable holding the client secret when no file is named.
pub const CLIENT_SECRET_ENV: &str = "IDMAP_CLIENT_SECRET";

/// Options shared by `link` and `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct LinkArgs {
    /// Output file of `ref,uuid` rows (resumable); standard output when absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// idmap-server base URL, e.g. https://idmap.example.org.
    #[arg(long, env = "IDMAP_URL", value_name = "URL")]
    pub url: Option<String>,

    /// OAuth token endpoint.
    #[arg(long, env = "IDMAP_TOKEN_URL", value_name = "URL")]
    pub token_url: Option<String>,

    /// Authorization server issuer; its metadata names the token endpoint.
    #[arg(long, env = "IDMAP_AUTH_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,

    /// OAuth client id.
    #[arg(long, env = "IDMAP_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// File holding the client secret [default: the variable IDMAP_CLIENT_SECRET].
    #[arg(long, env = "IDMAP_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,

    /// Patients per request (1 to 10000) [default: 1000].
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Send rows that have no ref (a resend may then give new UUIDs).
    #[arg(long)]
    pub allow_no_ref: bool,

    /// Start from the first row: discard an unfinished run's state and replace the output.
    #[arg(long)]
    pub restart: bool,

    /// PEM file of CA certificates to trust instead of the system roots.
    #[arg(long, env = "IDMAP_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Do not check server certificates (tests only; prints a warning).
    #[arg(long)]
    pub insecure: bool,

    /// Seconds one request may take, answer included.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,

    /// Attempts per request, the first included.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub retries: u32,

    /// Seconds after which a failing request is no longer retried.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub retry_max_time: u64,

    /// First wait between attempts, in milliseconds (doubles each time).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub retry_initial_delay_ms: u64,

    /// Longest wait between attempts, in seconds (Retry-After may ask more).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub retry_max_delay: u64,

    /// Seconds between progress lines when stderr is not a terminal.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub progress_interval: u64,

    /// Print only problems and errors: no progress, no summary.
    #[arg(short, long)]
    pub quiet: bool,

    /// Print debug lines (token fetches, request bodies with hashes).
    #[arg(short, long)]
    pub verbose: bool,

    /// Test hook: after N committed batches, send one more and exit with
    /// status 86 before writing its answer.
    #[arg(long, hide = true, value_name = "N")]
    pub test_exit_after_batches: Option<u64>,
}

fn parse_url(what: &str, value: &str) -> anyhow::Result<Url> {
    let url = Url::parse(value.trim()).with_context(|| format!("{what} is not a URL"))?;
    if !matches!(url.scheme(), "https" | "http") {
        bail!("{what} must be an https:// URL");
    }
    Ok(url)
}

fn client_secret(args: &LinkArgs, config: &ConfigFile, log: &Log) -> anyhow::Result<SecretString> {
    let file = args
        .client_secret_file
        .as_ref()
        .or(config.link.client_secret_file.as_ref());
    let env = std::env::var_os(CLIENT_SECRET_ENV);
    let bytes = match (file, env) {
        (Some(file), None) => {
            if let Some(warning) = loose_permissions("client secret file", file) {
                log.info(&warning);
            }
            read_secret_file(file)?
        }
        (None, Some(value)) => value.into_encoded_bytes(),
        (Some(file), Some(_)) => bail!(
            "the client secret is configured twice: --client-secret-file {} and {CLIENT_SECRET_ENV}",
            file.display()
        ),
        (None, None) => bail!(
            "no client secret: pass --client-secret-file FILE or set {CLIENT_SECRET_ENV} \
             (never on the command line)"
        ),
    };
    let text = String::from_utf8(bytes).context("the client secret is not text")?;
    if text.trim().is_empty() {
        bail!("the client secret is empty");
    }
    Ok(SecretString::from(text.trim().to_owned()))
}

/// Opens the input named on the command line (saying so when it is
/// decoded), makes it a row source with `open`, and links its rows. Besides
/// the source, `open` gives the mode: the settings a resumed run must share.
pub fn drive<S: RowSource>(
    input: &Option<PathBuf>,
    args: &LinkArgs,
    config: &ConfigFile,
    fingerprint: &str,
    prefix: &'static str,
    open: impl FnOnce(Box<dyn BufRead>) -> anyhow::Result<(S, Vec<String>)>,
) -> anyhow::Result<Outcome> {
    let input = open_input(input)?;
    if let Some(notice) = input.notice() {
        Log::new(prefix, args.verbose).info(&notice);
    }
    let (mut source, mode) = open(input.reader)?;
    let mode: Vec<&str> = mode.iter().map(String::as_str).collect();
    drive_source(
        &mut source,
        input.size,
        args,
        config,
        fingerprint,
        &mode,
        prefix,
    )
}

/// Wires the shared options to the linker and runs it on `source`.
fn drive_source(
    source: &mut dyn RowSource,
    total_bytes: Option<u64>,
    args: &LinkArgs,
    config: &ConfigFile,
    fingerprint: &str,
    mode: &[&str],
    prefix: &'static str,
) -> anyhow::Result<Outcome> {
    let log = Log::new(prefix, args.verbose);
    let link = &config.link;
    let url =
        args.url.as_ref().or(link.url.as_ref()).context(
            "no server: pass --url (or set IDMAP_URL, or url in the config file's [link])",
        )?;
    let url = parse_url("--url", url)?;
    let endpoint = match (
        args.token_url.as_ref().or(link.token_url.as_ref()),
        args.issuer.as_ref().or(link.issuer.as_ref()),
    ) {
        (Some(token_url), _) => TokenEndpoint::Url(parse_url("--token-url", token_url)?),
        (None, Some(issuer)) => TokenEndpoint::Issuer(parse_url("--issuer", issuer)?),
        (None, None) => bail!("no token endpoint: pass --token-url or --issuer"),
    };
    let client_id = args
        .client_id
        .as_ref()
        .or(link.client_id.as_ref())
        .context("no client id: pass --client-id (or set IDMAP_CLIENT_ID)")?
        .clone();
    let secret = client_secret(args, config, &log)?;
    let batch_size = args.batch_size.or(link.batch_size).unwrap_or(DEFAULT_BATCH);
    if !(1..=MAX_BATCH).contains(&batch_size) {
        bail!("--batch-size must be 1 to {MAX_BATCH}");
    }
    if args.retries == 0 || args.timeout == 0 {
        bail!("--retries and --timeout must be at least 1");
    }
    let http = build_http(
        &HttpOptions {
            ca_file: args.ca_file.clone().or(link.ca_file.clone()),
            insecure: args.insecure,
            timeout: Duration::from_secs(args.timeout),
        },
        &log,
    )?;
    warn_if_plain_http(&url, &log);
    let (TokenEndpoint::Url(token_host) | TokenEndpoint::Issuer(token_host)) = &endpoint;
    warn_if_plain_http(token_host, &log);
    let policy = RetryPolicy {
        max_attempts: args.retries,
        max_elapsed: Duration::from_secs(args.retry_max_time),
        initial_delay: Duration::from_millis(args.retry_initial_delay_ms),
        max_delay: Duration::from_secs(args.retry_max_delay.max(1)),
    };
    let allow = if args.allow_no_ref { "no-ref" } else { "ref" };
    // The server URL is left out on purpose: the same server may be reached
    // through another name or proxy; the salt fingerprint ties the run to
    // its network.
    let mut parts = vec!["idmap link state v1", fingerprint, allow];
    parts.extend_from_slice(mode);
    let settings_fp = settings_fingerprint(&parts);

    let (mut sink, resumed) = match &args.output {
        Some(path) => {
            let (journal, resumed) = Journal::open(path, &settings_fp, args.restart)?;
            (Sink::Journal(journal), resumed)
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout());
            out.write_all(OUTPUT_HEADER)
                .context("cannot write the output")?;
            (Sink::Stream(Box::new(out)), None)
        }
    };
    let mut progress = Progress::start(
        ProgressOptions {
            quiet: args.quiet,
            every: Duration::from_secs(args.progress_interval.max(1)),
            total_bytes,
        },
        log,
    );
    let tokens = TokenSource::new(
        http.clone(),
        endpoint,
        client_id,
        secret,
        progress.log().clone(),
    );
    let mut api = LinkApi::new(http, &url, tokens, policy, progress.log().clone())?;
    let settings = LinkSettings {
        batch_size,
        allow_no_ref: args.allow_no_ref,
        salt_fingerprint: fingerprint.to_owned(),
        exit_after_batches: args.test_exit_after_batches,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut counts = Counts::default();
    let result = runtime.block_on(until_stopped(link_rows(
        source,
        &mut api,
        &mut sink,
        &settings,
        &mut progress,
        resumed,
        &mut counts,
    )));
    progress
        .log()
        .debug(&format!("{} access tokens fetched", api.tokens_fetched()));
    // The screening summary is a summary (-q drops it); warnings are not.
    let mut notes: Vec<String> = source
        .screened()
        .and_then(|c| c.summary())
        .filter(|_| !args.quiet)
        .into_iter()
        .collect();
    notes.extend(source.warnings());
    let report_notes = |progress: &Progress| {
        for line in &notes {
            progress.log().info(line);
        }
    };
    match result {
        Ok(outcome) => {
            sink.finish()?;
            progress.finish(&counts, "done");
            report_notes(&progress);
            Ok(outcome)
        }
        Err(err) => {
            let interrupted = err
                .chain()
                .any(|c| matches!(c.downcast_ref::<Failure>(), Some(Failure::Interrupted(_))));
            progress.finish(
                &counts,
                if interrupted {
                    "interrupted"
                } else {
                    "stopped"
                },
            );
            report_notes(&progress);
            let journal = match &sink {
                Sink::Journal(journal) => Some((journal.created(), journal.rows_done())),
                Sink::Stream(_) => None,
            };
            let kept = match (journal, args.output.as_deref(), sink) {
                (Some((true, rows_done)), Some(output), Sink::Journal(journal))
                    if counts.linked == 0 =>
                {
                    match journal.discard() {
                        Ok(()) => Kept::Nothing,
                        Err(e) => {
                            progress.log().info(&format!("{e:#}"));
                            Kept::Resumable { output, rows_done }
                        }
                    }
                }
                (Some((_, rows_done)), Some(output), _) => Kept::Resumable { output, rows_done },
                _ => Kept::Stream,
            };
            match next_step(&err, kept) {
                Some(step) => Err(err.context(NextStep(step))),
                None => Err(err),
            }
        }
    }
}

/// Runs `work` until it ends, or until Ctrl-C or SIGTERM stops it at its
/// next await (the signals are watched before `work` first runs, so one
/// that arrives during a long synchronous stretch is not lost).
async fn until_stopped(
    work: impl std::future::Future<Output = anyhow::Result<Outcome>>,
) -> anyhow::Result<Outcome> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
        tokio::select! {
            result = work => result,
            _ = interrupt.recv() => Err(Failure::Interrupted("Ctrl-C").into()),
            _ = terminate.recv() => Err(Failure::Interrupted("SIGTERM").into()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            result = work => result,
            _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted("Ctrl-C").into()),
        }
    }
}
