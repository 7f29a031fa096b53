//! Salt fingerprints: a keyed digest that tells whether two parties hash with
//! the same salt without revealing it, so a partner hashing with the wrong
//! salt is refused instead of silently creating new people.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const MESSAGE: &[u8] = b"idmap salt fingerprint v1";

/// First 16 lowercase hex characters of HMAC-SHA256(key = salt, message).
pub fn salt_fingerprint(salt_or_key: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(salt_or_key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(MESSAGE);
    let digest = mac.finalize().into_bytes();
    hex::encode(&digest[..8])
}

/// Whether `s` has the wire form of a fingerprint: exactly 16 hex characters.
pub fn is_fingerprint(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_matches_an_independent_hmac() {
        // python3 -c "import hmac,hashlib;print(hmac.new(b'salt',b'idmap salt fingerprint v1',hashlib.sha256).hexdigest()[:16])"
        assert_eq!(salt_fingerprint(b"salt"), FP_OF_SALT);
        assert_eq!(salt_fingerprint(b"salt").len(), 16);
        assert_ne!(salt_fingerprint(b"salt"), salt_fingerprint(b"salt2"));
    }

    #[test]
    fn wire_form_is_sixteen_hex() {
        assert!(is_fingerprint("0123456789abcdEF"));
        assert!(!is_fingerprint("0123456789abcde"));
        assert!(!is_fingerprint("0123456789abcdeg"));
    }

    const FP_OF_SALT: &str = "4dee6f07395529d6";
}
