//! Scenario 6: `/api/v1/lookup` with k hashes, half of them preloaded.

use std::fmt::Write as _;

use bytes::Bytes;

use super::Check;
use super::link::{Bodies, JsonWorkload, NextRequest, Registry};
use crate::data::{self, Rng};
use crate::http::Target;

/// k hashes per request; even positions are preloaded hashes.
pub struct LookupBodies {
    registry: Registry,
}

/// k hashes per request.
pub type LookupWorkload = JsonWorkload<LookupBodies>;

impl LookupWorkload {
    pub fn new(
        target: Target,
        registry: Registry,
        per_request: u64,
        token: &str,
    ) -> anyhow::Result<Self> {
        Self::with_bodies(target, per_request, token, LookupBodies { registry })
    }
}

impl Bodies for LookupBodies {
    fn next(&self, per_request: u64, rng: &mut Rng, check: bool) -> NextRequest {
        let seed = self.registry.seed;
        let mut known = 0usize;
        let mut s = String::with_capacity(per_request as usize * 67 + 16);
        s.push_str("{\"hashes\":[");
        for j in 0..per_request {
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
        ("/api/v1/lookup", s, check)
    }
}
