//! Physical-limit companions measured in the same run, so each scenario
//! figure reads as a fraction of what the hardware allows:
//! - JWT signing and verifying with auth-server's own key (same crate, same
//!   algorithm), one thread and every core; verification also through
//!   `idmap_common::Verifier`, the path idmap-server takes per request;
//! - bare inserts (1,000 bindings plus their UUID rows in one transaction)
//!   and bare 1,000-key lookups against the same database, through
//!   idmap-server's storage functions but without the linkage rules.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use idmap_common::clock::now_unix;
use idmap_common::ids::RuleCode;
use idmap_common::{Verifier, VerifierConfig};
use idmap_server::db::{bindings, uuids};
use idmap_server::domain::linkage::NewBinding;
use idmap_storage::{Database, DatabaseUrl};

use crate::data::{self, Rng};
use crate::jwt::{self, KeyPair};
use crate::report::LimitResult;

fn result(name: &str, threads: usize, ops: u64, elapsed: Duration, unit: &str) -> LimitResult {
    let secs = elapsed.as_secs_f64().max(1e-9);
    LimitResult {
        name: name.into(),
        threads,
        ops,
        elapsed_s: secs,
        per_s: ops as f64 / secs,
        unit: unit.into(),
    }
}

/// Runs `op` on `threads` OS threads for `duration`; total operations.
fn timed_threads<F>(threads: usize, duration: Duration, op: F) -> anyhow::Result<(u64, Duration)>
where
    F: Fn() -> anyhow::Result<()> + Send + Sync,
{
    let start = Instant::now();
    let deadline = start + duration;
    let total = AtomicU64::new(0);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> anyhow::Result<()> {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        op()?;
                        n += 1;
                    }
                    total.fetch_add(n, Ordering::Relaxed);
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("thread panicked"))??;
        }
        Ok(())
    })?;
    Ok((total.load(Ordering::Relaxed), start.elapsed()))
}

/// Signing and verifying rates of auth-server's newest key.
pub async fn jwt(
    key_dir: &Path,
    issuer: &str,
    jwks_url: Option<&str>,
    duration: Duration,
) -> anyhow::Result<Vec<LimitResult>> {
    let pem = std::fs::read(jwt::newest_key(key_dir)?)?;
    let key = Arc::new(KeyPair::from_pem(&pem)?);
    let alg = format!("{:?}", key.alg);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let claims = jwt::claims(issuer, idmap_common::clock::now_unix());
    let token = key.sign(&claims)?;
    let validation = jwt::validation(key.alg, issuer);
    let mut out = Vec::new();
    for threads in [1, cores] {
        let (ops, t) = timed_threads(threads, duration, || key.sign(&claims).map(drop))?;
        out.push(result(
            &format!("jwt sign {alg}"),
            threads,
            ops,
            t,
            "tokens",
        ));
        let (ops, t) = timed_threads(threads, duration, || {
            key.sign_jsonwebtoken(&claims).map(drop)
        })?;
        out.push(result(
            &format!("jwt sign {alg} (jsonwebtoken::encode)"),
            threads,
            ops,
            t,
            "tokens",
        ));
        let (ops, t) = timed_threads(threads, duration, || {
            key.verify_raw(&token, &validation).map(drop)
        })?;
        out.push(result(
            &format!("jwt verify {alg} (jsonwebtoken)"),
            threads,
            ops,
            t,
            "tokens",
        ));
    }
    if let Some(url) = jwks_url {
        let mut config = VerifierConfig::new(issuer, "idmap");
        config.jwks_url = Some(url.to_owned());
        let verifier = Verifier::new(config)?;
        verifier.refresh().await.context("cannot load the JWKS")?;
        // More distinct tokens than the verifier remembers, taken in turn,
        // so that every one is a first sight: what a new token costs.
        let fresh: Vec<String> = (0..FRESH_TOKENS)
            .map(|i| {
                let mut c = claims.clone();
                c.jti = format!("bench-{i}");
                key.sign(&c)
            })
            .collect::<anyhow::Result<_>>()?;
        verifier
            .verify(&token)
            .await
            .context("idmap_common::Verifier refuses the token")?;
        let (ops, t) = timed_verify(duration, async |i| {
            verifier.verify(&fresh[i % fresh.len()]).await.map(drop)
        })
        .await?;
        out.push(result(
            &format!("jwt verify {alg} (idmap_common::Verifier, new token)"),
            1,
            ops,
            t,
            "tokens",
        ));
        let (ops, t) =
            timed_verify(duration, async |_| verifier.verify(&token).await.map(drop)).await?;
        out.push(result(
            &format!("jwt verify {alg} (idmap_common::Verifier, token seen before)"),
            1,
            ops,
            t,
            "tokens",
        ));
    }
    Ok(out)
}

/// Distinct tokens for the first-sight verification rate; more than the
/// verifier remembers (4,096).
const FRESH_TOKENS: usize = 8_192;

/// Runs `op(i)` for i = 0, 1, ... on this task for `duration`.
async fn timed_verify<F>(duration: Duration, op: F) -> anyhow::Result<(u64, Duration)>
where
    F: AsyncFn(usize) -> Result<(), idmap_common::VerifyError>,
{
    let start = Instant::now();
    let mut ops = 0u64;
    while start.elapsed() < duration {
        op(usize::try_from(ops)?).await?;
        ops += 1;
    }
    Ok((ops, start.elapsed()))
}

/// Bare insert and lookup rates against the database at `url`.
pub async fn database(
    url: &str,
    seed: u64,
    preloaded: u64,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Vec<LimitResult>> {
    let url = DatabaseUrl::parse(url).context("invalid database URL")?;
    let db =
        Database::connect(&url, u32::try_from(concurrency)?).context("cannot open the database")?;
    let backend = url.backend().name();
    // Fresh patients far away from the scenarios' new ones.
    let next = Arc::new(AtomicU64::new(1 << 40));
    let rule = RuleCode::parse(data::RULES[0])?;

    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (db, next, rule) = (db.clone(), next.clone(), rule.clone());
        tasks.push(tokio::spawn(async move {
            let mut rows = 0u64;
            while start.elapsed() < duration {
                let first = next.fetch_add(500, Ordering::Relaxed);
                let ids: Vec<_> = (first..first + 500).map(|i| data::uuid(seed, i)).collect();
                let new: Vec<NewBinding> = (first..first + 500)
                    .zip(&ids)
                    .flat_map(|(i, u)| (0..2).map(move |k| (i, k, *u)))
                    .map(|(i, k, uuid)| NewBinding {
                        hash: data::hash(seed, i, k),
                        uuid,
                        rule: Some(rule.clone()),
                        ambiguous: false,
                    })
                    .collect();
                let batch = Arc::new((ids, new));
                db.transaction(move |conn| {
                    let t = now_unix();
                    uuids::insert(conn, &batch.0, t)?;
                    bindings::insert(conn, "BENCHRAW", &batch.1, t)
                })
                .await?;
                rows += 1000;
            }
            anyhow::Ok(rows)
        }));
    }
    let mut rows = 0;
    for t in tasks {
        rows += t.await??;
    }
    let mut out = vec![result(
        &format!("bare insert {backend}, 1,000 bindings/tx"),
        concurrency,
        rows,
        start.elapsed(),
        "bindings",
    )];

    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(0xB00 + w as u64);
            let mut keys = 0u64;
            while start.elapsed() < duration {
                let hashes: Vec<_> = (0..1000u64)
                    .map(|j| {
                        if j.is_multiple_of(2) && preloaded > 0 {
                            data::hash(seed, rng.below(preloaded), j / 2 % 2)
                        } else {
                            data::unknown_hash(seed, rng.below(u64::MAX))
                        }
                    })
                    .collect();
                db.run(move |conn| bindings::load(conn, &hashes)).await?;
                keys += 1000;
            }
            anyhow::Ok(keys)
        }));
    }
    let mut keys = 0;
    for t in tasks {
        keys += t.await??;
    }
    out.push(result(
        &format!("bare lookup {backend}, 1,000 keys/query"),
        concurrency,
        keys,
        start.elapsed(),
        "keys",
    ));
    Ok(out)
}
