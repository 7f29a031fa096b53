//! The keys loaded at one moment and what the schedule makes of them at a
//! given time: which one signs, which are published, and the listing
//! operators see.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::SigningKey;
use super::schedule::{self, KeyMeta, KeyState, Slot};
use crate::config::SigningAlg;

/// One key file with its schedule metadata.
#[derive(Debug)]
pub struct LoadedKey {
    pub seq: u32,
    pub key: Arc<SigningKey>,
    pub meta: KeyMeta,
}

/// The keys loaded at one moment; which one signs depends on the time.
#[derive(Debug)]
pub struct KeySet {
    pub keys: Vec<LoadedKey>,
    pub(super) alg: SigningAlg,
    pub(super) token_ttl: i64,
}

/// A key as `admin keys list` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyView {
    pub kid: String,
    pub alg: &'static str,
    pub file: String,
    pub state: KeyState,
    pub created_at: i64,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
}

impl KeySet {
    fn schedule(&self, now: i64) -> schedule::Schedule {
        let slots: Vec<Slot> = self
            .keys
            .iter()
            .map(|k| Slot {
                activates_at: k.meta.activates_at,
                preferred_alg: k.key.alg == self.alg,
            })
            .collect();
        schedule::compute(&slots, now, self.token_ttl)
    }

    /// The key signing at `now` (the set always holds an active key).
    pub fn signing_at(&self, now: i64) -> Option<Arc<SigningKey>> {
        self.schedule(now).signing.map(|i| self.keys[i].key.clone())
    }

    /// Every key that is not retired at `now`, signing key first.
    pub fn published_at(&self, now: i64) -> Vec<Arc<SigningKey>> {
        let sched = self.schedule(now);
        let mut out: Vec<Arc<SigningKey>> = sched
            .signing
            .map(|i| self.keys[i].key.clone())
            .into_iter()
            .collect();
        for (i, k) in self.keys.iter().enumerate() {
            if Some(i) != sched.signing && sched.states[i] != KeyState::Retired {
                out.push(k.key.clone());
            }
        }
        out
    }

    /// The next scheduled change of the published set after `now`.
    pub fn next_change(&self, now: i64) -> Option<i64> {
        self.schedule(now).next_change
    }

    /// The listing for operators.
    pub fn views(&self, now: i64) -> Vec<KeyView> {
        let sched = self.schedule(now);
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyView {
                kid: k.key.kid.clone(),
                alg: alg_name(k.key.alg),
                file: super::file_name(k.seq),
                state: sched.states[i],
                created_at: k.meta.created_at,
                activates_at: k.meta.activates_at,
                retires_at: sched.retires_at[i],
            })
            .collect()
    }
}

fn alg_name(alg: SigningAlg) -> &'static str {
    match alg {
        SigningAlg::Rs256 => "RS256",
        SigningAlg::Es256 => "ES256",
        SigningAlg::EdDsa => "EdDSA",
    }
}
