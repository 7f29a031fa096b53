//! Deterministic synthetic registry: patient `i` of seed `s` always has the
//! same two hashes, UUID and ref, so the preloader and the load generator
//! agree on which patients are "already known" without sharing state.
//!
//! Values come from SplitMix64 rather than sha256: they only need to be
//! uniformly spread (as real salted hashes are, so index pages fill as in
//! production) and cheap, because the generator shares the cores with the
//! services it measures.

use idmap_common::{LinkUuid, Sha256Hash};

/// Partner code of the benchmark client; preloaded refs belong to it.
pub const PARTNER: &str = "BENCH";

/// Rule codes of a patient's two hashes, in priority order.
pub const RULES: [&str; 2] = ["F_L_D_S", "F_L_D_Z"];

/// One step of SplitMix64 (public domain, Vigna).
pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn words<const N: usize>(seed: u64, domain: u64, i: u64) -> [u8; N] {
    let mut state = seed ^ domain.rotate_left(32) ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let bytes = splitmix(&mut state).to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    out
}

/// Hash `k` (0 or 1) of patient `i`.
pub fn hash(seed: u64, i: u64, k: u64) -> Sha256Hash {
    Sha256Hash::from_bytes(words::<32>(seed, 1 + k, i))
}

/// A hash no patient has, for lookups of unknown hashes.
pub fn unknown_hash(seed: u64, i: u64) -> Sha256Hash {
    Sha256Hash::from_bytes(words::<32>(seed, 9, i))
}

/// The UUID preloaded for patient `i` (version 4 layout, like the server's).
pub fn uuid(seed: u64, i: u64) -> LinkUuid {
    let mut b = words::<16>(seed, 7, i);
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    LinkUuid::from_bytes(b)
}

/// The partner's ref of patient `i`.
pub fn patient_ref(i: u64) -> String {
    format!("P{i}")
}

/// A small deterministic generator for per-worker choices.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Uniform in `0..n` (`n` > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        splitmix(&mut self.0) % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_deterministic_and_distinct() {
        assert_eq!(hash(1, 5, 0), hash(1, 5, 0));
        assert_ne!(hash(1, 5, 0), hash(1, 5, 1));
        assert_ne!(hash(1, 5, 0), hash(2, 5, 0));
        assert_ne!(hash(1, 5, 0), unknown_hash(1, 5));
        assert_eq!(uuid(1, 5).as_uuid().get_version_num(), 4);
    }
}
