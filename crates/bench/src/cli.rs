//! Command-line interface of `idmap-bench`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use idmap_bench::http::{ClientKind, Target};
use idmap_bench::metadata::{self, Given};
use idmap_bench::report::{self, Line};
use idmap_bench::scenarios::auth::{self, Client, FormWorkload};
use idmap_bench::scenarios::cli::CliRun;
use idmap_bench::scenarios::link::{LinkWorkload, Registry, Shape};
use idmap_bench::scenarios::lookup::LookupWorkload;
use idmap_bench::scenarios::{self, Drive, Workload};
use idmap_bench::{limits, preload, procstat};

#[derive(clap::Parser)]
#[command(
    name = "idmap-bench",
    version,
    about = "idmap load generator: throughput and latency of both services"
)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Migrate idmap-server's database and preload a synthetic registry.
    Preload(PreloadArgs),
    /// Run scenarios against running services; append results to --out.
    Run(Box<RunArgs>),
    /// Physical-limit companions; append results to --out.
    Limits(LimitArgs),
    /// Print the table of a results file.
    Report {
        /// Results file (JSON lines).
        file: PathBuf,
    },
}

#[derive(clap::Args)]
struct PreloadArgs {
    /// idmap-server's database (fresh).
    #[arg(long, env = "IDMAP_BENCH_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Stored hashes wanted (two per patient).
    #[arg(long)]
    hashes: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Cache of preloaded SQLite files.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The authorization server; its endpoints come from its metadata
    /// (RFC 8414, else OpenID discovery) unless given below.
    #[arg(long)]
    auth_url: String,
    /// Token endpoint URL instead of the metadata's.
    #[arg(long)]
    token_endpoint: Option<String>,
    /// Introspection endpoint URL instead of the metadata's.
    #[arg(long)]
    introspection_endpoint: Option<String>,
    /// RFC 8707 resource indicator of scenario 1's token requests (a server
    /// such as oidc-provider signs JWTs only for a named resource).
    #[arg(long)]
    resource: Option<String>,
    /// The authorization server's name in the results; scenarios run
    /// against several named servers get a side-by-side table.
    #[arg(long)]
    system: Option<String>,
    #[arg(long)]
    idmap_url: String,
    /// Partner client (scope idmap:link) of partner BENCH.
    #[arg(long)]
    client_id: String,
    #[arg(long, env = "IDMAP_BENCH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Internal client with scope idmap:read, for lookups.
    #[arg(long)]
    reader_id: Option<String>,
    #[arg(long, env = "IDMAP_BENCH_READER_SECRET", hide_env_values = true)]
    reader_secret: Option<String>,
    /// Comma-separated: token, introspect, link1, link100, link1000,
    /// save100, lookup1000, cli.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "token,introspect,link1,link100,link1000,save100,lookup1000"
    )]
    scenarios: Vec<String>,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unrecorded seconds before each scenario.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Most requests per scenario.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
    #[arg(long, value_enum, default_value_t = ClientKind::Hyper)]
    client: ClientKind,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Hashes preloaded with the same seed.
    #[arg(long, default_value_t = 0)]
    preloaded_hashes: u64,
    /// Label of the registry size in scenario names, e.g. 100k.
    #[arg(long, default_value = "")]
    registry_label: String,
    /// Number the link scenarios as 8 (the large registry).
    #[arg(long, conflicts_with = "fresh")]
    large: bool,
    /// Number the link scenarios as 9: a registry that started empty and
    /// grows with every request (run with `--preloaded-hashes 0`).
    #[arg(long)]
    fresh: bool,
    /// Process to watch, NAME=PID (auth, idmap); repeatable.
    #[arg(long = "pid", value_parser = parse_pid)]
    pids: Vec<(String, String)>,
    /// Results file (JSON lines, appended).
    #[arg(long)]
    out: PathBuf,
    /// The `idmap` binary, for scenario `cli`.
    #[arg(long)]
    cli_bin: Option<PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    cli_rows: u64,
    #[arg(long, default_value_t = 5000)]
    cli_batch_size: u64,
    /// Scratch directory of the CLI scenario.
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct LimitArgs {
    /// auth-server's AUTH_SIGNING_KEY_DIR.
    #[arg(long)]
    key_dir: Option<PathBuf>,
    /// Issuer in the signed claims (auth-server's).
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    issuer: String,
    /// Also verify through idmap_common::Verifier with this JWKS.
    #[arg(long)]
    jwks_url: Option<String>,
    /// idmap-server's database, for bare inserts and lookups.
    #[arg(long, env = "IDMAP_BENCH_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 0)]
    preloaded_hashes: u64,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    #[arg(long)]
    out: PathBuf,
}

fn parse_pid(s: &str) -> Result<(String, String), String> {
    let (name, pid) = s.split_once('=').ok_or("expected NAME=PID")?;
    pid.parse::<u32>()
        .map_err(|_| format!("{pid} is not a pid"))?;
    Ok((name.to_owned(), pid.to_owned()))
}

fn seconds(s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).context("durations are non-negative seconds")
}

/// Runs the chosen command.
pub async fn execute(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Preload(a) => {
            preload::run(&preload::Preload {
                database_url: a.database_url,
                hashes: a.hashes,
                seed: a.seed,
                cache_dir: a.cache_dir,
            })
            .await?;
        }
        Command::Run(a) => run(*a).await?,
        Command::Limits(a) => {
            let duration = seconds(a.duration)?;
            if let Some(dir) = &a.key_dir {
                eprintln!("companions: JWT");
                for l in limits::jwt(dir, &a.issuer, a.jwks_url.as_deref(), duration).await? {
                    report::append(&a.out, &Line::Limit(l))?;
                }
            }
            if let Some(url) = &a.database_url {
                eprintln!("companions: database");
                let patients = a.preloaded_hashes / 2;
                for l in limits::database(url, a.seed, patients, a.concurrency, duration).await? {
                    report::append(&a.out, &Line::Limit(l))?;
                }
            }
        }
        Command::Report { file } => print!("{}", report::render(&report::read(&file)?)),
    }
    Ok(())
}

async fn run(a: RunArgs) -> anyhow::Result<()> {
    let auth_target = Target::parse(&a.auth_url)?;
    let endpoints = metadata::discover(
        &auth_target,
        &Given {
            token: a.token_endpoint.clone(),
            introspection: a.introspection_endpoint.clone(),
        },
    )
    .await?;
    let idmap_target = Target::parse(&a.idmap_url)?;
    let partner = Client {
        id: a.client_id.clone(),
        secret: a.client_secret.clone(),
    };
    let mut watch = a.pids.clone();
    watch.push(("bench".into(), "self".into()));
    let drive = Drive {
        concurrency: a.concurrency,
        duration: seconds(a.duration)?,
        warmup: seconds(a.warmup)?,
        max_requests: a.max_requests,
        client: a.client,
        watch,
        ticks: procstat::clock_ticks(),
    };
    let registry = Registry::new(a.seed, a.preloaded_hashes / 2);
    let suffix = if a.registry_label.is_empty() {
        String::new()
    } else {
        format!(" @{}", a.registry_label)
    };
    let link_token = auth::fetch_token(&endpoints.token, &partner, "idmap:link").await?;
    for scenario in &a.scenarios {
        let (name, workload): (String, Arc<dyn Workload>) = match scenario.as_str() {
            "token" => (
                "1 token".into(),
                Arc::new(FormWorkload::token(
                    &endpoints.token,
                    &partner,
                    a.resource.as_deref(),
                )?),
            ),
            "introspect" => (
                "2 introspect".into(),
                Arc::new(FormWorkload::introspect(
                    &endpoints.introspection,
                    &partner,
                    &link_token,
                )?),
            ),
            "link1" | "link100" | "link1000" => {
                let k: u64 = scenario.trim_start_matches("link").parse()?;
                let number = match (a.large, a.fresh, k) {
                    (true, _, _) => "8",
                    (_, true, _) => "9",
                    (false, false, 1) => "3",
                    (false, false, _) => "4",
                };
                (
                    format!("{number} link x{k}{suffix}"),
                    Arc::new(LinkWorkload::new(
                        idmap_target.clone(),
                        registry.clone(),
                        k,
                        Shape::Link,
                        &link_token,
                    )?),
                )
            }
            "save100" => (
                format!("5 save x100{suffix}"),
                Arc::new(LinkWorkload::new(
                    idmap_target.clone(),
                    registry.clone(),
                    100,
                    Shape::Save,
                    &link_token,
                )?),
            ),
            "lookup1000" => {
                let (Some(id), Some(secret)) = (&a.reader_id, &a.reader_secret) else {
                    bail!("lookup1000 needs --reader-id and IDMAP_BENCH_READER_SECRET");
                };
                let reader = Client {
                    id: id.clone(),
                    secret: secret.clone(),
                };
                let token = auth::fetch_token(&endpoints.token, &reader, "idmap:read").await?;
                (
                    format!("6 lookup x1000{suffix}"),
                    Arc::new(LookupWorkload::new(
                        idmap_target.clone(),
                        registry.clone(),
                        1000,
                        &token,
                    )?),
                )
            }
            "cli" => {
                let bin = a.cli_bin.clone().context("scenario cli needs --cli-bin")?;
                let cli = CliRun {
                    bin,
                    rows: a.cli_rows,
                    batch_size: a.cli_batch_size,
                    idmap_url: a.idmap_url.clone(),
                    issuer: a.auth_url.clone(),
                    client: partner.clone(),
                    work_dir: a
                        .work_dir
                        .clone()
                        .unwrap_or_else(|| std::env::temp_dir().join("idmap-bench-cli")),
                };
                eprintln!("scenario 7: idmap run on {} generated patients", a.cli_rows);
                let mut result =
                    scenarios::cli::run(&format!("7 cli run {}", a.cli_rows), &cli, &drive).await?;
                result.system.clone_from(&a.system);
                report::append(&a.out, &Line::Scenario(result))?;
                continue;
            }
            other => bail!("unknown scenario {other}"),
        };
        eprintln!(
            "scenario {name}: {} workers, {:?}",
            drive.concurrency, drive.duration
        );
        let mut result = scenarios::run(&name, workload, &drive).await?;
        result.system.clone_from(&a.system);
        report::append(&a.out, &Line::Scenario(result))?;
    }
    Ok(())
}
