//! Tokens whose signature already passed. A partner sends the same token
//! with every request for its whole lifetime, and the public-key check is
//! the largest cost of a small request, so it is paid once per token and
//! key set. An entry counts only for the key set that verified it: a JWKS
//! refresh starts over, so a withdrawn or replaced key stops being trusted
//! at once. Claims (`exp`, `nbf`, `iss`, `aud`) are still checked on every
//! request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Most tokens remembered; when full the memory starts over, which only
/// costs the next request of each token one verification.
const CAPACITY: usize = 4096;

/// Numbers key sets, so that an entry names the one that verified it.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// A fresh key set number.
pub(crate) fn next_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// Whole token strings (compared in full, never by a digest) and the key
/// set generation that verified each.
#[derive(Default)]
pub(crate) struct Seen(Mutex<HashMap<Box<str>, u64>>);

impl Seen {
    /// Whether `token` passed its signature check against key set `generation`.
    pub(crate) fn contains(&self, token: &str, generation: u64) -> bool {
        self.lock().get(token) == Some(&generation)
    }

    /// Remembers that `token` passed against key set `generation`.
    pub(crate) fn insert(&self, token: &str, generation: u64) {
        let mut map = self.lock();
        if map.len() >= CAPACITY && !map.contains_key(token) {
            map.clear();
        }
        map.insert(token.into(), generation);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, u64>> {
        // The map is valid after any panic of a holder.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_counts_only_for_the_key_set_that_verified_it() {
        let seen = Seen::default();
        let (old, new) = (next_generation(), next_generation());
        seen.insert("a.b.c", old);
        assert!(seen.contains("a.b.c", old));
        assert!(!seen.contains("a.b.c", new));
        assert!(!seen.contains("a.b.d", old));
    }

    #[test]
    fn memory_stays_bounded() {
        let seen = Seen::default();
        let generation = next_generation();
        for i in 0..CAPACITY + 10 {
            seen.insert(&format!("t{i}"), generation);
        }
        assert!(seen.lock().len() <= CAPACITY);
        assert!(seen.contains(&format!("t{}", CAPACITY + 9), generation));
    }
}
