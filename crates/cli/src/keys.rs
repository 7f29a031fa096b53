//! Network-defined match keys: a rule code plus an ordered list of fields,
//! each with a transform, so that a network can add keys more tolerant than
//! the six built-in rules (which need first name, last name and birth date
//! exactly).
//!
//! The text hashed for a key is its code and its transformed values joined
//! by `|`: `L_D_Z|smith|1980-02-03|32601`. The separator cannot occur in a
//! normalized value (only letters, digits and the date's `-` remain), so two
//! different rows never give the same text by shifting characters between
//! fields; the code in front keeps two keys apart even when their values
//! coincide (a first name `jordan` in one, a last name `jordan` in another).
//! The text is then hashed exactly like a built-in rule's: the salt appended
//! and sha256, or HMAC-SHA256. A key is skipped for a row, producing no
//! hash, when any of its fields is empty, refused (sex or race codes for
//! "unknown") or screened as a placeholder, or when its transform leaves
//! nothing (a phonetic code of a name written without Latin letters).

use crate::rules::{Field, NormalizedRow, Rule};
use crate::transform::{Transform, TransformError};
use std::fmt;

/// Longest rule code the server registers.
pub const MAX_CODE_LEN: usize = 32;

/// Version tag of the key text layout, written into key descriptions so a
/// future layout cannot be mistaken for this one.
pub const KEY_TEXT_VERSION: &str = "idmap key v1";

/// One field of a key and what is done to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyField {
    /// Which field.
    pub field: Field,
    /// What is done to it.
    pub transform: Transform,
}

impl fmt::Display for KeyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.transform {
            Transform::Exact => write!(f, "{}", self.field),
            t => write!(f, "{}:{t}", self.field),
        }
    }
}

/// A network-defined key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatchKey {
    code: String,
    fields: Vec<KeyField>,
}

/// A key definition that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The code is not one the server would register.
    #[error(
        "key code {0:?} must start with an uppercase letter and hold only uppercase letters, digits, _ and - (at most 32)"
    )]
    BadCode(String),
    /// The code is a built-in rule's.
    #[error("key code {0} is a built-in rule; choose another code")]
    BuiltinCode(String),
    /// Fewer than two fields: one field alone identifies nobody.
    #[error("key {0} needs at least two fields")]
    TooFewFields(String),
    /// A field entry is not `field` or `field:transform`.
    #[error("key {code}: unknown field {field:?}; use first, last, dob, sex, race, zip or city")]
    UnknownField {
        /// The key.
        code: String,
        /// The entry as written.
        field: String,
    },
    /// The transform is unknown or does not fit the field.
    #[error("key {code}: {source}")]
    Transform {
        /// The key.
        code: String,
        /// Why.
        source: TransformError,
    },
    /// The same field and transform twice.
    #[error("key {code} lists {field} twice")]
    Repeated {
        /// The key.
        code: String,
        /// The repeated entry.
        field: String,
    },
}

/// Whether `code` is a rule code the server accepts for registration.
pub fn is_valid_code(code: &str) -> bool {
    let mut bytes = code.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z'))
        && code.len() <= MAX_CODE_LEN
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl MatchKey {
    /// Builds a key from its code and field entries (`last`, `dob:year`,
    /// `first:prefix(3)`, ...), checking everything a partner could get
    /// wrong before any row is hashed.
    pub fn parse(code: &str, entries: &[String]) -> Result<Self, KeyError> {
        let code = code.trim();
        if !is_valid_code(code) {
            return Err(KeyError::BadCode(code.to_owned()));
        }
        if code.parse::<Rule>().is_ok() {
            return Err(KeyError::BuiltinCode(code.to_owned()));
        }
        let mut fields: Vec<KeyField> = Vec::with_capacity(entries.len());
        for entry in entries {
            let (name, transform) = match entry.split_once(':') {
                Some((name, transform)) => (name, Some(transform)),
                None => (entry.as_str(), None),
            };
            let field = Field::ALL
                .into_iter()
                .find(|f| f.name() == name.trim())
                .ok_or_else(|| KeyError::UnknownField {
                    code: code.to_owned(),
                    field: name.trim().to_owned(),
                })?;
            let transform = transform
                .map_or(Ok(Transform::Exact), str::parse::<Transform>)
                .and_then(|t| t.check(field).map(|()| t))
                .map_err(|source| KeyError::Transform {
                    code: code.to_owned(),
                    source,
                })?;
            let key_field = KeyField { field, transform };
            if fields.contains(&key_field) {
                return Err(KeyError::Repeated {
                    code: code.to_owned(),
                    field: key_field.to_string(),
                });
            }
            fields.push(key_field);
        }
        if fields.len() < 2 {
            return Err(KeyError::TooFewFields(code.to_owned()));
        }
        Ok(MatchKey {
            code: code.to_owned(),
            fields,
        })
    }

    /// The rule code the hashes are sent under.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The fields, in text order.
    pub fn fields(&self) -> &[KeyField] {
        &self.fields
    }

    /// The canonical definition, `last dob:year zip`: what an admin
    /// registers as the rule's description and partners compare.
    pub fn definition(&self) -> String {
        let entries: Vec<String> = self.fields.iter().map(ToString::to_string).collect();
        entries.join(" ")
    }

    /// The text to hash for `row`, or `None` when the key is skipped.
    pub fn text(&self, row: &NormalizedRow) -> Option<String> {
        let mut text = self.code.clone();
        for KeyField { field, transform } in &self.fields {
            let value = row.usable(*field)?;
            let value = transform.apply(value);
            if value.is_empty() {
                return None;
            }
            text.push('|');
            text.push_str(&value);
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: &str, entries: &[&str]) -> Result<MatchKey, KeyError> {
        let entries: Vec<String> = entries.iter().map(|s| (*s).to_owned()).collect();
        MatchKey::parse(code, &entries)
    }

    fn row(pairs: &[(Field, &str)]) -> NormalizedRow {
        NormalizedRow::of(pairs)
    }

    fn person() -> NormalizedRow {
        row(&[
            (Field::First, "José"),
            (Field::Last, "O'Neil"),
            (Field::Dob, "02/03/1980"),
            (Field::Sex, "M"),
            (Field::Zip, "32601-1234"),
            (Field::City, "St. Augustine"),
        ])
    }

    #[test]
    fn text_is_the_code_and_the_values_joined_by_bars() {
        let k = key("L_D_Z", &["last", "dob", "zip"]).unwrap();
        assert_eq!(
            k.text(&person()).unwrap(),
            "L_D_Z|oneil|1980-02-03|326011234"
        );
        let k = key(
            "FI_LS_DYM_Z3",
            &[
                "first:initial",
                "last:soundex",
                "dob:year_month",
                "zip:prefix(3)",
            ],
        )
        .unwrap();
        assert_eq!(
            k.text(&person()).unwrap(),
            "FI_LS_DYM_Z3|j|O540|1980-02|326"
        );
        let k = key("FN_LM_DY", &["first:nysiis", "last:metaphone", "dob:year"]).unwrap();
        assert_eq!(k.text(&person()).unwrap(), "FN_LM_DY|JAS|ANL|1980");
    }

    #[test]
    fn the_separator_keeps_field_boundaries() {
        let k = key("F_L_D", &["first", "last", "dob"]).unwrap();
        let a = row(&[
            (Field::First, "Ann"),
            (Field::Last, "Elise"),
            (Field::Dob, "1990-01-01"),
        ]);
        let b = row(&[
            (Field::First, "Anne"),
            (Field::Last, "Lise"),
            (Field::Dob, "1990-01-01"),
        ]);
        assert_ne!(k.text(&a), k.text(&b));
        // The built-in rules concatenate without one, as the older hashers did.
        let a = row(&[
            (Field::First, "Ann"),
            (Field::Last, "Elise"),
            (Field::Dob, "1990-01-01"),
            (Field::Sex, "F"),
        ]);
        let b = row(&[
            (Field::First, "Anne"),
            (Field::Last, "Lise"),
            (Field::Dob, "1990-01-01"),
            (Field::Sex, "F"),
        ]);
        assert_eq!(Rule::Flds.text(&a), Rule::Flds.text(&b));
    }

    #[test]
    fn missing_refused_or_empty_after_transform_skips_the_key() {
        let k = key("L_D_Z", &["last", "dob", "zip"]).unwrap();
        let no_zip = row(&[(Field::Last, "Lee"), (Field::Dob, "1980-02-03")]);
        assert_eq!(k.text(&no_zip), None);
        let k = key("F_S", &["first", "sex"]).unwrap();
        let unknown_sex = row(&[(Field::First, "Lee"), (Field::Sex, "UN")]);
        assert_eq!(k.text(&unknown_sex), None);
        let k = key("FS_L", &["first:soundex", "last"]).unwrap();
        let kanji = row(&[(Field::First, "太郎"), (Field::Last, "Yamada")]);
        assert_eq!(k.text(&kanji), None);
    }

    #[test]
    fn definitions_are_canonical() {
        let k = key(
            "K1",
            &[
                " first : Initial",
                "dob:YEAR",
                "zip:exact",
                "last:prefix(1)",
            ],
        )
        .unwrap();
        assert_eq!(k.definition(), "first:initial dob:year zip last:initial");
        assert_eq!(k.code(), "K1");
    }

    #[test]
    fn bad_definitions_are_refused_by_name() {
        let err = |code: &str, entries: &[&str]| key(code, entries).unwrap_err().to_string();
        assert!(err("l_d_z", &["last", "dob"]).contains("uppercase"));
        assert!(err("1KEY", &["last", "dob"]).contains("uppercase"));
        assert!(err(&"K".repeat(33), &["last", "dob"]).contains("at most 32"));
        assert!(err("F_L_D_Z", &["last", "dob"]).contains("built-in"));
        assert!(err("K", &["last"]).contains("at least two"));
        assert!(err("K", &["last", "middle"]).contains("unknown field \"middle\""));
        assert!(err("K", &["last", "dob:soundex"]).contains("soundex does not apply to dob"));
        assert!(err("K", &["last", "dob:yr"]).contains("unknown transform"));
        assert!(err("K", &["last", "last:exact"]).contains("lists last twice"));
        assert!(key("K-2", &["last", "last:soundex"]).is_ok());
    }

    #[test]
    fn codes_follow_the_server() {
        assert!(is_valid_code("L_D_Z"));
        assert!(is_valid_code("X-9"));
        assert!(!is_valid_code(""));
        assert!(!is_valid_code("_X"));
        assert!(!is_valid_code("X Y"));
        assert!(!is_valid_code("Xé"));
    }
}
