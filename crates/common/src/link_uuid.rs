//! The network-wide patient identifier and its two wire forms.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A persistent patient UUID; `/api/v1` writes it hyphenated, `/api/save`
/// as 32 hex characters without dashes (what the older clients parse).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LinkUuid(Uuid);

impl LinkUuid {
    /// A fresh random (version 4) identifier.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    pub const fn from_uuid(u: Uuid) -> Self {
        Self(u)
    }

    pub const fn from_bytes(b: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(b))
    }

    /// Accepts a stored column value; `None` unless it is exactly 16 bytes.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        Uuid::from_slice(b).ok().map(Self)
    }

    /// Accepts the hyphenated or the 32-hex form, in either case.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 36 && s.len() != 32 {
            return None;
        }
        Uuid::try_parse(s).ok().map(Self)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// `8-4-4-4-12` lowercase, the `/api/v1` form.
    pub fn hyphenated(&self) -> String {
        self.0.hyphenated().to_string()
    }

    /// 32 lowercase hex characters, the `/api/save` form.
    pub fn simple(&self) -> String {
        self.0.simple().to_string()
    }
}

impl fmt::Display for LinkUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for LinkUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkUuid({})", self.0.hyphenated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_version_4_and_both_forms_are_lowercase() {
        let u = LinkUuid::new_random();
        assert_eq!(u.as_uuid().get_version_num(), 4);
        let h = u.hyphenated();
        assert_eq!(h.len(), 36);
        assert_eq!(h, h.to_lowercase());
        assert_eq!(u.simple(), h.replace('-', ""));
        assert_eq!(serde_json::to_value(u).unwrap(), serde_json::json!(h));
    }

    #[test]
    fn parse_accepts_both_forms_only() {
        let u = LinkUuid::new_random();
        assert_eq!(LinkUuid::parse(&u.hyphenated()), Some(u));
        assert_eq!(LinkUuid::parse(&u.simple().to_uppercase()), Some(u));
        assert_eq!(LinkUuid::parse(&format!("{{{}}}", u.hyphenated())), None);
        assert_eq!(LinkUuid::parse("nope"), None);
    }
}
