//! The 32-byte hash a partner submits: parsed once at the edge so that
//! everything past it carries a value that is known to be well formed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A sha256 digest, stored as raw bytes and written as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hash([u8; 32]);

/// Why a string is not a hash; the message is safe to show to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    #[error("must be 64 hexadecimal characters, got {0}")]
    Length(usize),
    #[error("must contain only hexadecimal characters")]
    NotHex,
}

impl Sha256Hash {
    /// Accepts exactly 64 hex characters, in either case.
    pub fn parse(s: &str) -> Result<Self, HashParseError> {
        if s.len() != 64 {
            return Err(HashParseError::Length(s.chars().count()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| HashParseError::NotHex)?;
        Ok(Self(out))
    }

    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Accepts a stored column value; `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Shortened so that hashes never fill debug logs.
impl fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hash({}..)", &self.to_hex()[..8])
    }
}

impl Serialize for Sha256Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOWER: &str = "816b9550a3dbebc32022c713de9ab238c6df1b3d71fdd4621e92d8ac94e2654f";

    #[test]
    fn parses_either_case_and_writes_lowercase() {
        let a = Sha256Hash::parse(LOWER).unwrap();
        let b = Sha256Hash::parse(&LOWER.to_uppercase()).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_hex(), LOWER);
    }

    #[test]
    fn rejects_wrong_length_and_non_hex() {
        assert_eq!(
            Sha256Hash::parse(&LOWER[..63]),
            Err(HashParseError::Length(63))
        );
        assert_eq!(
            Sha256Hash::parse(&format!("{LOWER}0")),
            Err(HashParseError::Length(65))
        );
        assert_eq!(Sha256Hash::parse(""), Err(HashParseError::Length(0)));
        let bad = format!("{}g", &LOWER[..63]);
        assert_eq!(Sha256Hash::parse(&bad), Err(HashParseError::NotHex));
        let multibyte = format!("{}é", &LOWER[..62]);
        assert!(Sha256Hash::parse(&multibyte).is_err());
    }

    #[test]
    fn serde_round_trip() {
        let h = Sha256Hash::parse(LOWER).unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{LOWER}\""));
        assert_eq!(serde_json::from_str::<Sha256Hash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<Sha256Hash>("\"abc\"").is_err());
    }

    #[test]
    fn debug_does_not_print_the_whole_hash() {
        let h = Sha256Hash::parse(LOWER).unwrap();
        assert!(!format!("{h:?}").contains(LOWER));
    }
}
