//! Opaque secrets handed to clients (authorization codes, refresh tokens):
//! 256 random bits, base64url, stored only as SHA-256. No key is needed for
//! the hash: with 256 bits of entropy a stolen table reveals nothing usable.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly generated token; the plaintext leaves the process only once.
pub struct OpaqueToken(String);

impl OpaqueToken {
    /// 32 bytes from the system's secure random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The plaintext, for the one response that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form.
    pub fn hash(&self) -> Vec<u8> {
        hash(&self.0)
    }
}

impl std::fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpaqueToken([redacted])")
    }
}

/// The stored form of any presented token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let a = OpaqueToken::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), OpaqueToken::generate().expose());
        assert_eq!(a.hash(), hash(a.expose()));
        assert_eq!(a.hash().len(), 32);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
