//! The two hash constructions a network can use: the older `sha256(text +
//! salt)` and HMAC-SHA256 keyed with a secret.
//!
//! The salted form is what existing partners' UUIDs were built on, so it is
//! kept byte for byte; HMAC is the sound construction for new networks. The
//! secret lives in a `SecretSlice` so that it is zeroed on drop and never
//! printed by `Debug`.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};

/// Hashes rule texts with the network's secret.
pub enum Hasher {
    /// `sha256(text || salt)`, lowercase hex, as the older hashers did.
    Salted(SecretSlice<u8>),
    /// `HMAC-SHA256(key, text)`, lowercase hex. The keyed state is prepared
    /// once; each hash clones it, so the key schedule is not redone per row.
    Hmac {
        /// Raw key bytes, kept for the fingerprint.
        key: SecretSlice<u8>,
        /// The MAC initialised with `key`.
        mac: Hmac<Sha256>,
    },
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hasher::Salted(_) => f.write_str("Hasher::Salted([REDACTED])"),
            Hasher::Hmac { .. } => f.write_str("Hasher::Hmac([REDACTED])"),
        }
    }
}

impl Hasher {
    /// The older construction; the caller has already vetted the salt.
    pub fn salted(salt: SecretSlice<u8>) -> Self {
        Hasher::Salted(salt)
    }

    /// HMAC-SHA256 with `key`; the caller has already vetted the key.
    pub fn hmac(key: SecretSlice<u8>) -> Self {
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Hasher::Hmac { key, mac }
    }

    /// Lowercase hex digest of `text` under this network's secret.
    pub fn hash(&self, text: &str) -> String {
        match self {
            Hasher::Salted(salt) => {
                let mut digest = Sha256::new();
                digest.update(text.as_bytes());
                digest.update(salt.expose_secret());
                hex::encode(digest.finalize())
            }
            Hasher::Hmac { mac, .. } => {
                let mut mac = mac.clone();
                mac.update(text.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
        }
    }

    /// The salt fingerprint the server checks (`IDMAP_SALT_FINGERPRINTS`):
    /// computed over the salt bytes, or the raw HMAC key bytes.
    pub fn fingerprint(&self) -> String {
        let secret = match self {
            Hasher::Salted(salt) => salt,
            Hasher::Hmac { key, .. } => key,
        };
        idmap_common::fingerprint::salt_fingerprint(secret.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(bytes: &[u8]) -> SecretSlice<u8> {
        SecretSlice::from(bytes.to_vec())
    }

    #[test]
    fn salted_hash_appends_the_salt() {
        // printf 'alybee1910-01-01f' | sha256sum (the onefl vector, empty salt)
        assert_eq!(
            Hasher::salted(secret(b"")).hash("alybee1910-01-01f"),
            "816b9550a3dbebc32022c713de9ab238c6df1b3d71fdd4621e92d8ac94e2654f"
        );
        // printf 'abcSALT' | sha256sum
        assert_eq!(
            Hasher::salted(secret(b"SALT")).hash("abc"),
            Hasher::salted(secret(b"")).hash("abcSALT")
        );
    }

    #[test]
    fn hmac_differs_from_salted_and_matches_rfc_4231() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            Hasher::hmac(secret(b"Jefe")).hash("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let h = Hasher::hmac(secret(b"Jefe"));
        assert_eq!(h.hash("x"), h.hash("x"), "the keyed state is reusable");
    }

    #[test]
    fn fingerprint_uses_the_raw_secret() {
        let fp = idmap_common::fingerprint::salt_fingerprint(b"0123456789abcdef");
        assert_eq!(
            Hasher::salted(secret(b"0123456789abcdef")).fingerprint(),
            fp
        );
        assert_eq!(Hasher::hmac(secret(b"0123456789abcdef")).fingerprint(), fp);
    }

    #[test]
    fn debug_redacts_the_secret() {
        let shown = format!("{:?}", Hasher::salted(secret(b"supersecretsalt!")));
        assert!(!shown.contains("supersecret"), "{shown}");
    }
}
