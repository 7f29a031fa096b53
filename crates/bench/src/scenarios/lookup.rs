//! Scenario 6: `/api/v1/lookup` with k hashes, half of them preloaded.

use std::fmt::Write as _;

use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};

use super::link::Registry;
use super::{Check, Workload};
use crate::data::{self, Rng};
use crate::http::{Request, Target, header};

/// k hashes per request; even positions are preloaded hashes.
pub struct LookupWorkload {
    target: Target,
    registry: Registry,
    per_request: u64,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl LookupWorkload {
    pub fn new(
        target: Target,
        registry: Registry,
        per_request: u64,
        token: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            target,
            registry,
            per_request,
            headers: vec![
                header(AUTHORIZATION, &format!("Bearer {token}"))?,
                header(CONTENT_TYPE, "application/json")?,
            ],
        })
    }
}

impl Workload for LookupWorkload {
    fn target(&self) -> &Target {
        &self.target
    }

    fn patients_per_request(&self) -> u64 {
        self.per_request
    }

    fn next(&self, rng: &mut Rng, check: bool) -> anyhow::Result<(Request, Option<Check>)> {
        let seed = self.registry.seed;
        let mut known = 0usize;
        let mut s = String::with_capacity(self.per_request as usize * 67 + 16);
        s.push_str("{\"hashes\":[");
        for j in 0..self.per_request {
            if j > 0 {
                s.push(',');
            }
            let h = if j.is_multiple_of(2) && self.registry.preloaded > 0 {
                known += 1;
                data::hash(seed, rng.below(self.registry.preloaded), j / 2 % 2)
            } else {
                data::unknown_hash(seed, rng.below(u64::MAX))
            };
            let _ = write!(s, "\"{h}\"");
        }
        s.push_str("]}");
        let check: Option<Check> = check.then(|| {
            Box::new(move |b: &Bytes| {
                let v: serde_json::Value = serde_json::from_slice(b).ok()?;
                let found = v["results"]
                    .as_array()?
                    .iter()
                    .filter(|r| r["uuid"].is_string())
                    .count();
                (found != known).then(|| format!("lookup found {found} of {known} known hashes"))
            }) as Check
        });
        Ok((
            Request {
                path: "/api/v1/lookup".into(),
                headers: self.headers.clone(),
                body: Bytes::from(s),
            },
            check,
        ))
    }
}
