//! Scenarios 3, 4, 5 and 8: `/api/v1/link` with k patients per request and
//! `/api/save` in the older clients' shape. Every patient carries two
//! hashes. Half of a request's patients are preloaded ones (their ref and
//! hashes, so the answer must be their preloaded UUID), the rest new ones.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use idmap_common::LinkUuid;

use super::{Check, Workload};
use crate::data::{self, Rng};
use crate::http::{Request, Target, json_with_bearer};

/// Which patients exist and where new ones start.
#[derive(Debug, Clone)]
pub struct Registry {
    pub seed: u64,
    /// Patients preloaded (two hashes each).
    pub preloaded: u64,
    /// Index of the next new patient, shared by every scenario of a run.
    pub next_new: Arc<AtomicU64>,
}

impl Registry {
    pub fn new(seed: u64, preloaded: u64) -> Self {
        Self {
            seed,
            preloaded,
            // New patients never collide with preloaded ones.
            next_new: Arc::new(AtomicU64::new(preloaded.max(1) * 4)),
        }
    }

    /// Patient index for position `j` of a request: known when `j` plus the
    /// request's `offset` (0 or 1) is even, so that requests of one patient
    /// are known or new with equal chance instead of always known.
    fn pick(&self, j: u64, offset: u64, rng: &mut Rng) -> (u64, Option<LinkUuid>) {
        if (j + offset).is_multiple_of(2) && self.preloaded > 0 {
            let i = rng.below(self.preloaded);
            (i, Some(data::uuid(self.seed, i)))
        } else {
            (self.next_new.fetch_add(1, Ordering::Relaxed), None)
        }
    }
}

/// Shape of the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `POST /api/v1/link` with refs and rules.
    Link,
    /// `POST /api/save` with batch-local labels, no refs.
    Save,
}

/// k items per JSON request to idmap-server with a bearer token: what the
/// link, save and lookup scenarios share; `B` writes each request's body.
pub struct JsonWorkload<B> {
    target: Target,
    per_request: u64,
    headers: Vec<(HeaderName, HeaderValue)>,
    bodies: B,
}

/// A request's path, its body and, when asked for, the check of its answer.
pub type NextRequest = (&'static str, String, Option<Check>);

/// The requests of a [`JsonWorkload`].
pub trait Bodies: Send + Sync + 'static {
    /// The next request's path, its body of `per_request` items and, when
    /// `check`, how to check its answer.
    fn next(&self, per_request: u64, rng: &mut Rng, check: bool) -> NextRequest;
}

impl<B> JsonWorkload<B> {
    pub(super) fn with_bodies(
        target: Target,
        per_request: u64,
        token: &str,
        bodies: B,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            target,
            per_request,
            headers: json_with_bearer(token)?,
            bodies,
        })
    }
}

impl<B: Bodies> Workload for JsonWorkload<B> {
    fn target(&self) -> &Target {
        &self.target
    }

    fn patients_per_request(&self) -> u64 {
        self.per_request
    }

    fn next(&self, rng: &mut Rng, check: bool) -> anyhow::Result<(Request, Option<Check>)> {
        let (path, body, check) = self.bodies.next(self.per_request, rng, check);
        Ok((
            Request {
                path: path.into(),
                headers: self.headers.clone(),
                body: Bytes::from(body),
            },
            check,
        ))
    }
}

/// Patients of `shape`, half of them preloaded.
pub struct LinkBodies {
    registry: Registry,
    shape: Shape,
}

/// k patients per request of `shape`.
pub type LinkWorkload = JsonWorkload<LinkBodies>;

impl LinkWorkload {
    pub fn new(
        target: Target,
        registry: Registry,
        per_request: u64,
        shape: Shape,
        token: &str,
    ) -> anyhow::Result<Self> {
        Self::with_bodies(target, per_request, token, LinkBodies { registry, shape })
    }
}

impl LinkBodies {
    fn body(&self, per_request: u64, rng: &mut Rng) -> (String, Vec<Option<LinkUuid>>) {
        let seed = self.registry.seed;
        let mut expected = Vec::with_capacity(per_request as usize);
        let mut s = String::with_capacity(per_request as usize * 190 + 32);
        s.push_str(match self.shape {
            Shape::Link => "{\"patients\":[",
            Shape::Save => "{\"data\":{",
        });
        let offset = rng.below(2);
        for j in 0..per_request {
            let (i, known) = self.registry.pick(j, offset, rng);
            expected.push(known);
            if j > 0 {
                s.push(',');
            }
            let (h0, h1) = (data::hash(seed, i, 0), data::hash(seed, i, 1));
            // Writing into a String cannot fail.
            let _ = match self.shape {
                Shape::Link => write!(
                    s,
                    "{{\"ref\":\"{}\",\"hashes\":[{{\"rule\":\"{}\",\"hash\":\"{h0}\"}},{{\"rule\":\"{}\",\"hash\":\"{h1}\"}}]}}",
                    data::patient_ref(i),
                    data::RULES[0],
                    data::RULES[1]
                ),
                Shape::Save => write!(s, "\"{j}\":{{\"1\":\"{h0}\",\"2\":\"{h1}\"}}"),
            };
        }
        s.push_str(match self.shape {
            Shape::Link => "]}",
            Shape::Save => "}}",
        });
        (s, expected)
    }
}

impl Bodies for LinkBodies {
    fn next(&self, per_request: u64, rng: &mut Rng, check: bool) -> NextRequest {
        let (body, expected) = self.body(per_request, rng);
        let shape = self.shape;
        let check: Option<Check> =
            check.then(|| Box::new(move |b: &Bytes| check_answer(shape, &expected, b)) as Check);
        let path = match self.shape {
            Shape::Link => "/api/v1/link",
            Shape::Save => "/api/save",
        };
        (path, body, check)
    }
}

/// Known patients must get their preloaded UUID: proves the preload is
/// valid for the linkage rules.
fn check_answer(shape: Shape, expected: &[Option<LinkUuid>], body: &Bytes) -> Option<String> {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some(format!("answer is not JSON: {e}")),
    };
    for (j, want) in expected.iter().enumerate() {
        let got = match shape {
            Shape::Link => v["results"][j]["uuid"].as_str().and_then(LinkUuid::parse),
            Shape::Save => v["data"][j.to_string()]["uuid"]
                .as_str()
                .and_then(|u| uuid::Uuid::try_parse(u).ok())
                .map(LinkUuid::from_uuid),
        };
        match (got, want) {
            (None, _) => return Some(format!("answer has no UUID for patient {j}")),
            (Some(g), Some(w)) if g != *w => {
                return Some(format!("known patient {j} got another UUID than preloaded"));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(per_request: u64) -> LinkWorkload {
        let target = Target::parse("http://127.0.0.1:1").expect("target");
        LinkWorkload::new(
            target,
            Registry::new(1, 1000),
            per_request,
            Shape::Link,
            "t",
        )
        .expect("workload")
    }

    fn known_share(per_request: u64, requests: usize) -> (usize, usize) {
        let w = workload(per_request);
        let mut rng = Rng::new(7);
        let mut known = 0;
        let mut all = 0;
        for _ in 0..requests {
            let (_, expected) = w.bodies.body(w.per_request, &mut rng);
            known += expected.iter().filter(|e| e.is_some()).count();
            all += expected.len();
        }
        (known, all)
    }

    #[test]
    fn single_patient_requests_are_half_new() {
        let (known, all) = known_share(1, 2000);
        assert!((800..1200).contains(&known), "{known} of {all} known");
    }

    #[test]
    fn even_sized_requests_are_exactly_half_known() {
        assert_eq!(known_share(100, 20), (1000, 2000));
    }
}
