//! The scenario driver: a fixed number of workers, each with its own
//! keep-alive connection, sends requests until the duration or the request
//! budget runs out, recording every latency in an HDR histogram; the
//! services' CPU and peak RSS are watched over the measured window only
//! (after a warm-up that is not recorded).

pub mod auth;
pub mod cli;
pub mod link;
pub mod lookup;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;

use crate::data::Rng;
use crate::http::{ClientKind, Conn, Request, Target};
use crate::procstat::Watch;
use crate::report::ScenarioResult;

/// How every HTTP scenario is driven.
#[derive(Debug, Clone)]
pub struct Drive {
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub max_requests: u64,
    pub client: ClientKind,
    /// `(name, pid)` of the processes to watch; `self` is the generator.
    pub watch: Vec<(String, String)>,
    pub ticks: u64,
}

/// What a worker checks in an answer, besides a 2xx status.
pub type Check = Box<dyn Fn(&Bytes) -> Option<String> + Send + Sync>;

/// Requests of one scenario; one value is shared by all workers.
pub trait Workload: Send + Sync + 'static {
    /// Where the requests go.
    fn target(&self) -> &Target;
    /// Patients (or hashes, for lookups) carried by one request; 0 for none.
    fn patients_per_request(&self) -> u64;
    /// The next request of a worker, and optionally how to check its answer.
    fn next(&self, rng: &mut Rng, check: bool) -> anyhow::Result<(Request, Option<Check>)>;
}

/// Latencies and failures of one phase.
struct Phase {
    histogram: Histogram<u64>,
    requests: u64,
    errors: u64,
    samples: Vec<String>,
    elapsed: Duration,
}

/// Runs a warm-up, then the measured phase, and reports it under `name`.
pub async fn run(
    name: &str,
    workload: Arc<dyn Workload>,
    drive: &Drive,
) -> anyhow::Result<ScenarioResult> {
    let shared = crate::http::reqwest_client(drive.concurrency)?;
    if !drive.warmup.is_zero() {
        phase(&workload, drive, drive.warmup, u64::MAX, false, &shared).await?;
    }
    let watch = Watch::start(&drive.watch, drive.ticks);
    let measured = phase(
        &workload,
        drive,
        drive.duration,
        drive.max_requests,
        true,
        &shared,
    )
    .await?;
    let usage = watch.finish().await;
    Ok(ScenarioResult::from_phase(
        name,
        workload.patients_per_request(),
        measured.requests,
        measured.errors,
        measured.samples,
        measured.elapsed,
        &measured.histogram,
        usage,
    ))
}

async fn phase(
    workload: &Arc<dyn Workload>,
    drive: &Drive,
    duration: Duration,
    max_requests: u64,
    check_first: bool,
    shared: &reqwest::Client,
) -> anyhow::Result<Phase> {
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(drive.concurrency);
    for worker in 0..drive.concurrency {
        let workload = workload.clone();
        let issued = issued.clone();
        let mut conn = Conn::new(drive.client, workload.target(), shared);
        let seed = 0x5EED_0000 + worker as u64 + u64::from(check_first) * 1000;
        tasks.push(tokio::spawn(async move {
            worker_loop(
                &*workload,
                &mut conn,
                &issued,
                deadline,
                max_requests,
                seed,
                check_first,
            )
            .await
        }));
    }
    let mut total = Phase {
        histogram: new_histogram()?,
        requests: 0,
        errors: 0,
        samples: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let part = task.await.context("worker panicked")??;
        total.histogram.add(&part.histogram)?;
        total.requests += part.requests;
        total.errors += part.errors;
        for s in part.samples {
            if total.samples.len() < 5 && !total.samples.contains(&s) {
                total.samples.push(s);
            }
        }
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    // Microseconds, 1 us to 10 min, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).context("histogram bounds")
}

async fn worker_loop(
    workload: &dyn Workload,
    conn: &mut Conn,
    issued: &AtomicU64,
    deadline: Instant,
    max_requests: u64,
    seed: u64,
    check_first: bool,
) -> anyhow::Result<Phase> {
    let mut rng = Rng::new(seed);
    let mut out = Phase {
        histogram: new_histogram()?,
        requests: 0,
        errors: 0,
        samples: Vec::new(),
        elapsed: Duration::ZERO,
    };
    while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < max_requests {
        let (request, check) = workload.next(&mut rng, check_first && out.requests == 0)?;
        let sent = Instant::now();
        let result = conn.send(&request).await;
        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        out.requests += 1;
        out.histogram.saturating_record(micros.max(1));
        let problem = match result {
            Ok((status, body)) if (200..300).contains(&status) => check.and_then(|c| c(&body)),
            Ok((status, body)) => Some(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Err(e) => Some(format!("transport: {e:#}")),
        };
        if let Some(p) = problem {
            out.errors += 1;
            if out.samples.len() < 5 && !out.samples.contains(&p) {
                out.samples.push(p);
            }
        }
    }
    Ok(out)
}
