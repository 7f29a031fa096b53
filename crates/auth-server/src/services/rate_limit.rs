//! Throttling of failed client authentications, per client id and per IP.
//! Only failures are counted, so a client that authenticates correctly is
//! never slowed down by its own traffic. A key with too many failures in a
//! fixed window is refused up front (429 with `Retry-After`) until the
//! window ends, which keeps a flood of wrong secrets cheap: no database
//! lookup, no hashing. A client id that authenticated successfully within
//! the window is exempt from its IP's block (the per-client limit still
//! applies to it), so a well-behaved client sharing an address with an
//! attacker (one NAT, one proxy) keeps getting tokens. Memory is bounded:
//! past `MAX_KEYS` tracked keys,
//! expired entries are dropped, and if that is not enough new keys are not
//! tracked (failing open rather than growing without bound).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys tracked at once (about 100 bytes each).
const MAX_KEYS: usize = 100_000;

/// What is being counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Settings of the limiter.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub enabled: bool,
    pub per_client: u32,
    pub per_ip: u32,
    pub window: Duration,
}

/// The in-memory limiter shared by all workers.
#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    windows: Mutex<HashMap<Key, Window>>,
    /// Client ids with a recent successful authentication.
    good: Mutex<HashMap<String, Instant>>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
            good: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers a successful authentication of `client_id`.
    pub fn record_success(&self, client_id: &str) {
        if !self.limits.enabled {
            return;
        }
        let now = Instant::now();
        let mut good = self.good.lock().unwrap_or_else(|e| e.into_inner());
        if good.len() >= MAX_KEYS && !good.contains_key(client_id) {
            let window = self.limits.window;
            good.retain(|_, at| *at + window > now);
            if good.len() >= MAX_KEYS {
                return;
            }
        }
        good.insert(client_id.to_owned(), now);
    }

    fn recently_good(&self, client_id: Option<&str>, now: Instant) -> bool {
        let Some(id) = client_id else { return false };
        let good = self.good.lock().unwrap_or_else(|e| e.into_inner());
        good.get(id)
            .is_some_and(|at| *at + self.limits.window > now)
    }

    /// `Err(seconds)` to wait when the client id or the IP is blocked.
    pub fn check(&self, client_id: Option<&str>, ip: Option<IpAddr>) -> Result<(), u64> {
        if !self.limits.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let exempt_from_ip = self.recently_good(client_id, now);
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let blocked = |key: Key, limit: u32| -> Option<u64> {
            let w = windows.get(&key)?;
            let ends = w.started + self.limits.window;
            (w.failures >= limit && ends > now).then(|| (ends - now).as_secs().max(1))
        };
        let by_client =
            client_id.and_then(|c| blocked(Key::Client(c.to_owned()), self.limits.per_client));
        let by_ip = ip
            .filter(|_| !exempt_from_ip)
            .and_then(|i| blocked(Key::Ip(i), self.limits.per_ip));
        match by_client.max(by_ip) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts one failed authentication against the client id and the IP.
    pub fn record_failure(&self, client_id: Option<&str>, ip: Option<IpAddr>) {
        if !self.limits.enabled {
            return;
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.limits.window;
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, w| w.started + window > now);
        }
        let keys = client_id
            .map(|c| Key::Client(c.to_owned()))
            .into_iter()
            .chain(ip.map(Key::Ip));
        for key in keys {
            if windows.len() >= MAX_KEYS && !windows.contains_key(&key) {
                continue;
            }
            let w = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if w.started + window <= now {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(enabled: bool) -> RateLimiter {
        RateLimiter::new(Limits {
            enabled,
            per_client: 3,
            per_ip: 5,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn a_client_is_blocked_after_its_failures_and_others_are_not() {
        let l = limiter(true);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(Some("bad"), Some(ip)).is_ok());
            l.record_failure(Some("bad"), Some(ip));
        }
        let wait = l.check(Some("bad"), None).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(l.check(Some("good"), None).is_ok());
        l.record_failure(Some("x"), Some(ip));
        l.record_failure(Some("y"), Some(ip));
        assert!(
            l.check(Some("good"), Some(ip)).is_err(),
            "the IP is over its limit"
        );
    }

    #[test]
    fn disabled_never_blocks() {
        let l = limiter(false);
        for _ in 0..10 {
            l.record_failure(Some("bad"), None);
        }
        assert!(l.check(Some("bad"), None).is_ok());
    }
}
