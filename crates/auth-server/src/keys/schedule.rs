//! The key schedule, pure: given each key's activation time, which key
//! signs, which are published, when each retires, and how long a JWKS
//! response may be cached so that no cache outlives the next change.
//!
//! A rotated key is published at once and activates after the publication
//! delay (by default one JWKS cache lifetime, so every verifier has seen it
//! before the first token it signs). A key retires when the first later key
//! activates plus the access-token lifetime plus a leeway: by then every
//! token it signed has expired, and it leaves the JWKS.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Seconds added to the access-token lifetime before a key is dropped, for
/// clock skew between us and verifiers.
pub const RETIRE_LEEWAY: i64 = 60;

/// Sidecar metadata of one key file (`signing-NNNN.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMeta {
    pub created_at: i64,
    pub activates_at: i64,
}

/// Where a key is in its life at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not yet signing.
    Pending,
    /// Signs new tokens.
    Signing,
    /// No longer signs; published until its tokens have expired.
    Published,
    /// Dropped from the JWKS.
    Retired,
}

/// One key's place in the schedule (input order: ascending sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub activates_at: i64,
    /// Whether the key has the configured algorithm (preferred for signing).
    pub preferred_alg: bool,
}

/// The schedule of every key at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub states: Vec<KeyState>,
    pub retires_at: Vec<Option<i64>>,
    /// Index of the signing key, if any key is active.
    pub signing: Option<usize>,
    /// The next moment the JWKS content changes, if one is scheduled.
    pub next_change: Option<i64>,
}

/// Computes the schedule; `token_ttl` is the access-token lifetime.
pub fn compute(slots: &[Slot], now: i64, token_ttl: i64) -> Schedule {
    let active = |s: &Slot| s.activates_at <= now;
    let signing = slots
        .iter()
        .rposition(|s| active(s) && s.preferred_alg)
        .or_else(|| slots.iter().rposition(active));
    let retires_at: Vec<Option<i64>> = (0..slots.len())
        .map(|i| {
            slots[i + 1..]
                .iter()
                .map(|s| s.activates_at.max(slots[i].activates_at))
                .min()
                .map(|stop| stop + token_ttl + RETIRE_LEEWAY)
        })
        .collect();
    let states = (0..slots.len())
        .map(|i| {
            if Some(i) == signing {
                KeyState::Signing
            } else if !active(&slots[i]) {
                KeyState::Pending
            } else if retires_at[i].is_some_and(|r| r <= now) {
                KeyState::Retired
            } else {
                KeyState::Published
            }
        })
        .collect();
    let next_change = slots
        .iter()
        .map(|s| s.activates_at)
        .chain(retires_at.iter().flatten().copied())
        .filter(|t| *t > now)
        .min();
    Schedule {
        states,
        retires_at,
        signing,
        next_change,
    }
}

/// `Cache-Control: max-age` of the JWKS: the configured lifetime, cut
/// short so that caches refresh right when a key activates or retires.
pub fn max_age(configured: u64, next_change: Option<i64>, now: i64) -> u64 {
    match next_change {
        Some(t) => configured.min(u64::try_from(t - now).unwrap_or(0)),
        None => configured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(at: i64) -> Slot {
        Slot {
            activates_at: at,
            preferred_alg: true,
        }
    }

    #[test]
    fn a_rotated_key_is_pending_then_signs_and_the_old_one_retires_later() {
        let slots = [slot(0), slot(1000)];
        let s = compute(&slots, 500, 3600);
        assert_eq!(s.states, [KeyState::Signing, KeyState::Pending]);
        assert_eq!(s.retires_at[0], Some(1000 + 3600 + RETIRE_LEEWAY));
        assert_eq!(s.next_change, Some(1000));
        assert_eq!(max_age(300, s.next_change, 500), 300);
        assert_eq!(max_age(300, s.next_change, 900), 100);

        let s = compute(&slots, 1000, 3600);
        assert_eq!(s.states, [KeyState::Published, KeyState::Signing]);
        assert_eq!(s.next_change, Some(4660));

        let s = compute(&slots, 4660, 3600);
        assert_eq!(s.states, [KeyState::Retired, KeyState::Signing]);
        assert_eq!(s.next_change, None);
    }

    #[test]
    fn the_configured_algorithm_is_preferred_for_signing() {
        let slots = [
            slot(0),
            Slot {
                activates_at: 0,
                preferred_alg: false,
            },
        ];
        assert_eq!(compute(&slots, 10, 60).signing, Some(0));
    }

    #[test]
    fn an_emergency_rotation_retires_from_its_own_activation() {
        // Key 2 pending, key 3 rotated with --now: key 1 stops at key 3's start.
        let slots = [slot(0), slot(1000), slot(100)];
        let s = compute(&slots, 100, 60);
        assert_eq!(s.signing, Some(2));
        assert_eq!(s.retires_at[0], Some(100 + 60 + RETIRE_LEEWAY));
    }
}
