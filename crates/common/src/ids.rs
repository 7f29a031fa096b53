//! Identifier newtypes parsed at the edge: partner codes, rule codes, patient
//! refs and scope names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Scope that lets a partner submit hashes and receive UUIDs.
pub const SCOPE_LINK: &str = "idmap:link";
/// Scope for read-only lookups; not granted to partners by default.
pub const SCOPE_READ: &str = "idmap:read";
/// Scope for linkage administration on idmap-server.
pub const SCOPE_IDMAP_ADMIN: &str = "idmap:admin";
/// Scope for the auth-server admin API.
pub const SCOPE_ADMIN: &str = "admin";
/// Scope that lets a service introspect tokens of other clients.
pub const SCOPE_INTROSPECT: &str = "introspect";
/// Scope for the user-info and user-center resource endpoints.
pub const SCOPE_PROFILE: &str = "profile";

/// Rule codes every deployment knows; an admin can register more.
pub const KNOWN_RULES: [&str; 6] = [
    "F_L_D_S", "F_L_D_R", "F_L_D_Z", "L_F_D_Z", "F_L_D_C", "L_F_D_C",
];

/// Maximum length of a patient ref, in characters.
pub const MAX_REF_CHARS: usize = 128;

/// Why an identifier was refused; safe to show to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 1 to {max} characters")]
    Length { max: usize },
    #[error("must contain only {allowed}")]
    Charset { allowed: &'static str },
}

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }
    };
}

string_newtype!(
    /// A partner's short code (`UFH`), carried in the token's `partner` claim.
    PartnerCode
);
string_newtype!(
    /// A linkage rule code (`F_L_D_S`); uppercase and case-sensitive.
    RuleCode
);
string_newtype!(
    /// A partner's own identifier for a patient (`ref` on the wire).
    PatientRef
);

fn upper_code(s: &str, max: usize) -> Result<String, IdError> {
    if s.is_empty() || s.len() > max {
        return Err(IdError::Length { max });
    }
    let ok = s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(IdError::Charset {
            allowed: "uppercase letters, digits, '_' and '-', starting with a letter",
        })
    }
}

impl PartnerCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        upper_code(s, 32).map(Self)
    }
}

impl RuleCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        upper_code(s, 32).map(Self)
    }
}

impl PatientRef {
    /// 1 to 128 printable characters: control characters (including tabs
    /// and newlines) are refused because refs end up in CSV output files.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let n = s.chars().count();
        if n == 0 || n > MAX_REF_CHARS {
            return Err(IdError::Length { max: MAX_REF_CHARS });
        }
        if s.chars().any(char::is_control) {
            return Err(IdError::Charset {
                allowed: "printable characters",
            });
        }
        Ok(Self(s.to_owned()))
    }
}

/// Splits an OAuth scope string on spaces, dropping empty items.
pub fn split_scopes(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_and_rule_codes_are_uppercase() {
        assert!(PartnerCode::parse("UFH").is_ok());
        assert!(PartnerCode::parse("UF_H-2").is_ok());
        assert!(PartnerCode::parse("ufh").is_err());
        assert!(PartnerCode::parse("").is_err());
        assert!(PartnerCode::parse("_UFH").is_err());
        assert!(PartnerCode::parse(&"A".repeat(33)).is_err());
        assert!(RuleCode::parse("F_L_D_S").is_ok());
        assert!(RuleCode::parse("f_l_d_s").is_err());
        assert!(KNOWN_RULES.iter().all(|r| RuleCode::parse(r).is_ok()));
    }

    #[test]
    fn refs_are_printable_and_bounded_in_characters() {
        assert!(PatientRef::parse("01").is_ok());
        assert!(PatientRef::parse("MRN 12/34 é").is_ok());
        assert!(PatientRef::parse(&"é".repeat(128)).is_ok());
        assert!(PatientRef::parse(&"é".repeat(129)).is_err());
        assert!(PatientRef::parse("").is_err());
        assert!(PatientRef::parse("a\tb").is_err());
        assert!(PatientRef::parse("a\nb").is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        assert!(serde_json::from_str::<PartnerCode>("\"ufh\"").is_err());
        let p: PartnerCode = serde_json::from_str("\"UFH\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"UFH\"");
    }

    #[test]
    fn scopes_split_on_spaces() {
        let v: Vec<_> = split_scopes(" idmap:link  admin ").collect();
        assert_eq!(v, ["idmap:link", "admin"]);
    }
}
