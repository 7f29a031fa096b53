//! When to try a failed request again, and how long to wait first.
//!
//! Network errors, 408, 429 and 5xx are worth retrying: resending a link
//! batch is safe because the server answers the same UUIDs for refs it
//! already knows (design rule 2). Waits grow exponentially with random
//! jitter, so that many partners' cron jobs started at the same minute do
//! not retry in lockstep, and a `Retry-After` from the server is honoured
//! (waited at least). Both the number of attempts and the total time are
//! bounded, so a cron job ends with exit code 4 instead of hanging.

use rand::Rng;
use std::time::{Duration, SystemTime};

/// Bounds and pace of the retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// No new attempt starts after this much time since the first.
    pub max_elapsed: Duration,
    /// Wait before the second attempt (before jitter).
    pub initial_delay: Duration,
    /// Longest wait between attempts, unless `Retry-After` asks for more.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            max_elapsed: Duration::from_secs(15 * 60),
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based): half to all
    /// of `initial * 2^(attempt-1)` capped at `max_delay`, or the server's
    /// `Retry-After` when that is longer.
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let jittered = base.mul_f64(rng.random_range(0.5..=1.0));
        match retry_after {
            Some(wait) if wait > jittered => wait,
            _ => jittered,
        }
    }

    /// Whether another attempt may start after `attempt` attempts, `elapsed`
    /// time and a coming wait of `delay`.
    pub fn allows(&self, attempt: u32, elapsed: Duration, delay: Duration) -> bool {
        attempt < self.max_attempts && elapsed.saturating_add(delay) <= self.max_elapsed
    }
}

/// Reads a `Retry-After` value: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(100),
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
        }
    }

    #[test]
    fn delays_grow_with_jitter_and_stop_at_the_cap() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 1..=8 {
            let full = Duration::from_secs(1 << (attempt - 1).min(3));
            let d = policy().delay(attempt, None, &mut rng);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_is_waited_at_least() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let d = policy().delay(1, Some(Duration::from_secs(30)), &mut rng);
        assert_eq!(d, Duration::from_secs(30));
        let d = policy().delay(4, Some(Duration::ZERO), &mut rng);
        assert!(d >= Duration::from_secs(4));
    }

    #[test]
    fn attempts_and_time_are_bounded() {
        let p = policy();
        assert!(p.allows(4, Duration::from_secs(10), Duration::from_secs(8)));
        assert!(!p.allows(5, Duration::ZERO, Duration::ZERO));
        assert!(!p.allows(1, Duration::from_secs(95), Duration::from_secs(8)));
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(20));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(20))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(20));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
