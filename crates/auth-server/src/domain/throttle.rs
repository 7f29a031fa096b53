//! The rules that throttle failed authentications (client secrets at the
//! token, introspection and revocation endpoints; passwords at the login
//! form and the password grant), as a pure decision over counts.
//!
//! Failures are counted per subject (a client id or an account) and
//! address together, per subject, and per address, each within a window
//! that starts at its first failure:
//! - an address that fails too often for one subject is blocked for that
//!   subject only, so an attacker flooding a well-known client id (they
//!   are in every token) or someone's address locks out itself, not its
//!   victim;
//! - a subject failing from many addresses past its ceiling is slowed, not
//!   refused: every address then has a smaller budget for it (one failure
//!   per window by default), so a guesser spread over many addresses gets
//!   one try per address and window, while the right secret or password
//!   from an address that has not failed still passes;
//! - an address failing for many subjects (a spray) is blocked for all.
//!
//! What is blocked stays blocked until its own window ends.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// The limits of one throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures of one subject from one address per window.
    pub per_pair: u32,
    /// Failures of one subject from all addresses per window past which
    /// every address gets only `slow_budget`.
    pub ceiling: u32,
    /// An address's budget for a subject past its ceiling; 0 refuses the
    /// subject everywhere (the mail forms: a mailbox must not be flooded
    /// from many addresses either).
    pub slow_budget: u32,
    /// Failures of one address for any subject per window.
    pub per_ip: u32,
    /// Window length in seconds (at least 1).
    pub window: i64,
}

/// Failures counted in the current window (including the one just added).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pair: i64,
    pub subject: i64,
    pub ip: i64,
}

/// What is blocked until the window ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// This subject from this address.
    pub pair: bool,
    /// This subject from every address.
    pub subject: bool,
    /// This address for every subject.
    pub ip: bool,
}

impl Limits {
    /// Decides what the counts block.
    pub fn verdict(&self, c: Counts) -> Verdict {
        let under_attack = c.subject >= i64::from(self.ceiling);
        let budget = if under_attack {
            self.slow_budget.min(self.per_pair)
        } else {
            self.per_pair
        };
        Verdict {
            pair: c.pair >= i64::from(budget),
            subject: under_attack && self.slow_budget == 0,
            ip: c.ip >= i64::from(self.per_ip),
        }
    }
}

/// What a bucket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket<'a> {
    Pair(&'a str, Option<IpAddr>),
    Subject(&'a str),
    Ip(IpAddr),
}

impl Bucket<'_> {
    /// The stored key: a SHA-256 over the throttle's name and what is
    /// counted, so that e-mail and IP addresses are not kept in clear and
    /// every key has the same length.
    pub fn key(&self, throttle: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(throttle.as_bytes());
        match self {
            Bucket::Pair(subject, ip) => {
                h.update(b"\0pair\0");
                h.update(subject.as_bytes());
                h.update(b"\0");
                h.update(ip.map(|i| i.to_string()).unwrap_or_default().as_bytes());
            }
            Bucket::Subject(subject) => {
                h.update(b"\0subject\0");
                h.update(subject.as_bytes());
            }
            Bucket::Ip(ip) => {
                h.update(b"\0ip\0");
                h.update(ip.to_string().as_bytes());
            }
        }
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_pair: 5,
        ceiling: 20,
        slow_budget: 1,
        per_ip: 30,
        window: 60,
    };

    fn counts(pair: i64, subject: i64, ip: i64) -> Counts {
        Counts { pair, subject, ip }
    }

    #[test]
    fn an_address_is_blocked_for_the_subject_it_failed_for() {
        assert_eq!(LIMITS.verdict(counts(4, 4, 4)), Verdict::default());
        let v = LIMITS.verdict(counts(5, 5, 5));
        assert!(v.pair && !v.subject && !v.ip);
    }

    #[test]
    fn past_the_ceiling_every_address_has_a_smaller_budget() {
        // A fresh address's first failure for a subject under attack.
        let v = LIMITS.verdict(counts(1, 20, 1));
        assert!(v.pair && !v.subject, "{v:?}");
        let v = LIMITS.verdict(counts(1, 19, 1));
        assert!(!v.pair);
    }

    #[test]
    fn a_zero_slow_budget_blocks_the_subject_everywhere() {
        let mail = Limits {
            per_pair: 5,
            ceiling: 5,
            slow_budget: 0,
            per_ip: 30,
            window: 900,
        };
        assert!(mail.verdict(counts(1, 5, 1)).subject);
        assert!(!mail.verdict(counts(1, 4, 1)).subject);
    }

    #[test]
    fn a_spray_blocks_the_address() {
        assert!(LIMITS.verdict(counts(1, 1, 30)).ip);
    }

    #[test]
    fn keys_differ_by_throttle_and_kind() {
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = Bucket::Pair("c1", Some(ip)).key("client");
        assert_eq!(a, Bucket::Pair("c1", Some(ip)).key("client"));
        assert_ne!(a, Bucket::Pair("c1", Some(ip)).key("login"));
        assert_ne!(a, Bucket::Pair("c1", None).key("client"));
        assert_ne!(
            Bucket::Subject("10.0.0.1").key("client"),
            Bucket::Ip(ip).key("client")
        );
    }
}
