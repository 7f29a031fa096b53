//! Throttling of failed authentications (the rules are in
//! `domain::throttle`). Failures are counted in the auth database, so
//! every replica on it sees the same counts; what they block is kept in
//! memory, so the check in front of a request costs no database trip and
//! a request that authenticates correctly never writes anything. A replica
//! learns of a block when it counts a failure itself: with several
//! replicas, an address blocked on one gets at most one more failure on
//! each of the others before the block holds there too.
//!
//! A client id that authenticated successfully within the window is
//! exempt from its address's block (its own per-address limit still
//! applies), so a well-behaved client sharing an address with an attacker
//! (one NAT, one proxy) keeps getting tokens. Memory is bounded: past
//! `MAX_KEYS` entries, expired ones are dropped, and if that is not enough
//! new ones are not kept (failing open rather than growing without bound).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use idmap_storage::Database;

use crate::db::auth_failures::{self, Count};
use crate::domain::throttle::{Bucket, Counts, Limits};
use idmap_common::clock::now_unix;

/// Most blocks (and known-good client ids) held at once, about 100 bytes each.
const MAX_KEYS: usize = 100_000;

/// One throttle: its name keeps its buckets apart from the others'.
pub struct RateLimiter {
    name: &'static str,
    enabled: bool,
    limits: Limits,
    db: Database,
    /// Bucket keys blocked until the given unix time.
    blocked: Mutex<HashMap<[u8; 32], i64>>,
    /// Client ids with a recent successful authentication, and when.
    good: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A throttle named `name` (`client`, `login`, `mail`) counting into `db`.
    pub fn new(name: &'static str, enabled: bool, limits: Limits, db: Database) -> Self {
        Self {
            name,
            enabled,
            limits,
            db,
            blocked: Mutex::new(HashMap::new()),
            good: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` to wait when `subject` from `ip`, the subject, or the
    /// address is blocked. No database work.
    pub fn check(&self, subject: Option<&str>, ip: Option<IpAddr>) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let blocked = lock(&self.blocked);
        // The usual case, nothing blocked, costs no hashing.
        if blocked.is_empty() {
            return Ok(());
        }
        let now = now_unix();
        let exempt_from_ip = subject.is_some_and(|s| self.recently_good(s, now));
        let mut keys = Vec::with_capacity(3);
        if let Some(s) = subject {
            keys.push(Bucket::Pair(s, ip).key(self.name));
            keys.push(Bucket::Subject(s).key(self.name));
        }
        if let Some(i) = ip.filter(|_| !exempt_from_ip) {
            keys.push(Bucket::Ip(i).key(self.name));
        }
        let until = keys.iter().filter_map(|k| blocked.get(k)).copied().max();
        match until {
            Some(until) if until > now => Err(u64::try_from(until - now).unwrap_or(1).max(1)),
            _ => Ok(()),
        }
    }

    /// Counts one failure of `subject` from `ip` and remembers what the
    /// shared counts now block. A database failure is logged and counts
    /// nothing (the request it follows has failed already).
    pub async fn record_failure(&self, subject: Option<&str>, ip: Option<IpAddr>) {
        if !self.enabled {
            return;
        }
        let (pair, subj, addr) = (
            subject.map(|s| Bucket::Pair(s, ip).key(self.name)),
            subject.map(|s| Bucket::Subject(s).key(self.name)),
            ip.map(|i| Bucket::Ip(i).key(self.name)),
        );
        let buckets: Vec<[u8; 32]> = [pair, subj, addr].into_iter().flatten().collect();
        let now = now_unix();
        let window = self.limits.window;
        let keys = buckets.clone();
        let counted = self
            .db
            .transaction(move |c| Ok(auth_failures::add(c, &keys, now, window)?))
            .await;
        let counts = match counted {
            Ok(counts) => counts,
            Err(e) => {
                tracing::warn!(throttle = self.name, error = %e, "cannot count a failed authentication");
                return;
            }
        };
        let count_of = |key: Option<[u8; 32]>| {
            key.and_then(|k| buckets.iter().position(|b| *b == k))
                .and_then(|i| counts.get(i).copied())
        };
        let failures = |key| count_of(key).map_or(0, |c: Count| c.failures);
        let verdict = self.limits.verdict(Counts {
            pair: failures(pair),
            subject: failures(subj),
            ip: failures(addr),
        });
        let mut blocked = lock(&self.blocked);
        // Failures are rare next to requests; dropping ended blocks here
        // lets `check` skip its hashing again once an attack is over.
        blocked.retain(|_, until| *until > now);
        for (key, hit) in [
            (pair, verdict.pair),
            (subj, verdict.subject),
            (addr, verdict.ip),
        ] {
            if let (Some(key), Some(count), true) = (key, count_of(key), hit) {
                let until = count.started.saturating_add(window);
                insert_bounded(&mut blocked, key, until, now, |u| *u);
            }
        }
    }

    /// Remembers a successful authentication of `client_id`.
    pub fn record_success(&self, client_id: &str) {
        if !self.enabled {
            return;
        }
        let now = now_unix();
        let window = self.limits.window;
        let mut good = lock(&self.good);
        insert_bounded(&mut good, client_id.to_owned(), now, now, |at| at + window);
    }

    fn recently_good(&self, client_id: &str, now: i64) -> bool {
        lock(&self.good)
            .get(client_id)
            .is_some_and(|at| at + self.limits.window > now)
    }
}

/// Inserts into a map of at most [`MAX_KEYS`] entries, first dropping the
/// ones whose `ends` has passed when full; a new key that still does not
/// fit is not kept.
fn insert_bounded<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, i64>,
    key: K,
    value: i64,
    now: i64,
    ends: impl Fn(&i64) -> i64,
) {
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        map.retain(|_, v| ends(v) > now);
        if map.len() >= MAX_KEYS {
            return;
        }
    }
    map.insert(key, value);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_maps_drop_expired_entries_first_and_then_refuse() {
        let mut m: HashMap<u32, i64> = HashMap::new();
        for i in 0..MAX_KEYS {
            m.insert(u32::try_from(i).unwrap(), 10);
        }
        insert_bounded(&mut m, u32::MAX, 50, 20, |v| *v);
        assert_eq!(m.len(), 1, "expired entries went");
        for i in 0..MAX_KEYS {
            m.insert(u32::try_from(i).unwrap(), 100);
        }
        insert_bounded(&mut m, u32::MAX - 1, 100, 20, |v| *v);
        assert!(!m.contains_key(&(u32::MAX - 1)), "full of live entries");
    }
}
