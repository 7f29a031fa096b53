//! Client secrets: generated here with 256 bits of entropy, shown once, and
//! stored only as HMAC-SHA256 under a server key (a fast keyed hash is
//! enough for secrets this random, and a slow one would make every token
//! request slow). Comparison is in constant time.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Length of the server's HMAC key in bytes.
pub const HASH_KEY_LEN: usize = 32;

/// A newly generated secret: 32 random bytes, URL-safe base64 without padding.
pub struct ClientSecret(SecretString);

impl ClientSecret {
    /// A new secret from the system's secure random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The plaintext, for the one place that shows it (the admin output).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// The stored form of a secret: HMAC-SHA256 under the server key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash(pub [u8; 32]);

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Hashes and checks client secrets with the server's HMAC key.
#[derive(Clone)]
pub struct SecretHasher {
    key: [u8; HASH_KEY_LEN],
}

impl fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHasher([redacted])")
    }
}

impl SecretHasher {
    /// A hasher using the server key `key`.
    pub fn new(key: [u8; HASH_KEY_LEN]) -> Self {
        Self { key }
    }

    /// The stored form of `secret`.
    pub fn hash(&self, secret: &str) -> SecretHash {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"));
        mac.update(secret.as_bytes());
        SecretHash(mac.finalize().into_bytes().into())
    }

    /// Whether `presented` matches any of `stored`, in constant time per hash
    /// and always checking every stored hash.
    pub fn matches_any(&self, presented: &str, stored: &[SecretHash]) -> bool {
        let candidate = self.hash(presented);
        stored
            .iter()
            .fold(subtle::Choice::from(0), |acc, h| {
                acc | candidate.0.ct_eq(&h.0)
            })
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_url_safe_and_long_enough() {
        let s = ClientSecret::generate();
        assert_eq!(s.expose().len(), 43);
        assert!(
            s.expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(s.expose(), ClientSecret::generate().expose());
        assert!(!format!("{s:?}").contains(s.expose()));
    }

    #[test]
    fn hashes_depend_on_the_key_and_match_only_the_secret() {
        let a = SecretHasher::new([1; 32]);
        let b = SecretHasher::new([2; 32]);
        assert_ne!(a.hash("x"), b.hash("x"));
        let stored = [a.hash("old"), a.hash("new")];
        assert!(a.matches_any("new", &stored));
        assert!(a.matches_any("old", &stored));
        assert!(!a.matches_any("other", &stored));
        assert!(!a.matches_any("new", &[]));
    }
}
