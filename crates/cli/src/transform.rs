//! Transforms a network-defined match key applies to a normalized field:
//! as is, the first N characters, the initial, a phonetic code, or the year
//! (or year and month) of birth.
//!
//! Every partner of a network must compute the same bytes, so each
//! transform is a pure function of the normalized value with one written
//! definition. The phonetic codes come from `rphonetic`, a port of Apache
//! commons-codec, pinned to one version because a new release may change a
//! code and with it every hash of the keys that use it. Those encoders read
//! only the letters A to Z (their Soundex panics on others), so a name is
//! first folded: compatibility decomposition, combining marks dropped, and
//! everything but `a`-`z` removed (`Núñez` gives `nunez`, `Øre` gives `re`).

use crate::rules::Field;
use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;
use rphonetic::{DoubleMetaphone, Encoder, Nysiis, Soundex};
use std::fmt;
use std::str::FromStr;

/// Longest prefix a key may take; longer would just be the value.
pub const MAX_PREFIX: u8 = 32;

/// What a key does to one normalized field before it joins the key text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// The normalized value itself.
    Exact,
    /// The first N characters (the whole value when it is shorter);
    /// `prefix(1)` is written `initial`.
    Prefix(u8),
    /// American Soundex, four characters (`R163` for Robert).
    Soundex,
    /// NYSIIS, at most six characters (`KATARA` for Catherine).
    Nysiis,
    /// Double Metaphone, primary code, at most four characters.
    Metaphone,
    /// `YYYY` of a date of birth.
    Year,
    /// `YYYY-MM` of a date of birth.
    YearMonth,
}

/// A transform that cannot apply to the field it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// Not a transform name.
    #[error(
        "unknown transform {0:?}; use exact, initial, prefix(N), soundex, nysiis, metaphone, year or year_month"
    )]
    Unknown(String),
    /// `prefix(N)` with N out of range.
    #[error("prefix length must be 1 to {MAX_PREFIX}")]
    PrefixLength,
    /// The transform makes no sense for the field (a phonetic birth date).
    #[error("{transform} does not apply to {field}")]
    NotFor {
        /// The transform as written.
        transform: Transform,
        /// The field.
        field: Field,
    },
}

impl Transform {
    /// Checks that the transform can apply to `field`: dates take only
    /// exact, year and year_month; phonetic codes only names and cities;
    /// prefixes only text fields.
    pub fn check(self, field: Field) -> Result<(), TransformError> {
        let ok = match self {
            Transform::Exact => true,
            Transform::Year | Transform::YearMonth => field == Field::Dob,
            Transform::Soundex | Transform::Nysiis | Transform::Metaphone => {
                matches!(field, Field::First | Field::Last | Field::City)
            }
            Transform::Prefix(_) => {
                matches!(field, Field::First | Field::Last | Field::Zip | Field::City)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(TransformError::NotFor {
                transform: self,
                field,
            })
        }
    }

    /// The transformed value; empty means the key cannot be built.
    pub fn apply(self, value: &str) -> String {
        match self {
            Transform::Exact => value.to_owned(),
            Transform::Prefix(n) => value.chars().take(usize::from(n)).collect(),
            Transform::Year => value.get(..4).unwrap_or_default().to_owned(),
            Transform::YearMonth => value.get(..7).unwrap_or_default().to_owned(),
            Transform::Soundex => phonetic(value, |s| Soundex::default().encode(s)),
            Transform::Nysiis => phonetic(value, |s| Nysiis::new(true).encode(s)),
            Transform::Metaphone => phonetic(value, |s| DoubleMetaphone::default().encode(s)),
        }
    }
}

/// Folds `value` to `a`-`z` and encodes it; nothing left gives nothing.
fn phonetic(value: &str, encode: impl Fn(&str) -> String) -> String {
    let folded = fold_to_ascii_letters(value);
    if folded.is_empty() {
        return folded;
    }
    encode(&folded)
}

/// Compatibility decomposition, combining marks dropped, then only the
/// ASCII letters kept, lowercased.
pub fn fold_to_ascii_letters(value: &str) -> String {
    let decomposed = DecomposingNormalizerBorrowed::new_nfkd().normalize(value);
    let categories = CodePointMapData::<GeneralCategory>::new();
    decomposed
        .chars()
        .filter(|&c| categories.get(c) != GeneralCategory::NonspacingMark)
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transform::Exact => f.write_str("exact"),
            Transform::Prefix(1) => f.write_str("initial"),
            Transform::Prefix(n) => write!(f, "prefix({n})"),
            Transform::Soundex => f.write_str("soundex"),
            Transform::Nysiis => f.write_str("nysiis"),
            Transform::Metaphone => f.write_str("metaphone"),
            Transform::Year => f.write_str("year"),
            Transform::YearMonth => f.write_str("year_month"),
        }
    }
}

impl FromStr for Transform {
    type Err = TransformError;

    /// Names are case-insensitive; `prefix(N)` takes 1 to 32.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        if let Some(n) = name
            .strip_prefix("prefix(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            return match n.trim().parse::<u8>() {
                Ok(n) if (1..=MAX_PREFIX).contains(&n) => Ok(Transform::Prefix(n)),
                _ => Err(TransformError::PrefixLength),
            };
        }
        Ok(match name.as_str() {
            "exact" => Transform::Exact,
            "initial" => Transform::Prefix(1),
            "soundex" => Transform::Soundex,
            "nysiis" => Transform::Nysiis,
            "metaphone" => Transform::Metaphone,
            "year" => Transform::Year,
            "year_month" => Transform::YearMonth,
            _ => return Err(TransformError::Unknown(s.trim().to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in [
            Transform::Exact,
            Transform::Prefix(1),
            Transform::Prefix(3),
            Transform::Soundex,
            Transform::Nysiis,
            Transform::Metaphone,
            Transform::Year,
            Transform::YearMonth,
        ] {
            assert_eq!(t.to_string().parse::<Transform>(), Ok(t));
        }
        assert_eq!("Prefix( 4 )".parse(), Ok(Transform::Prefix(4)));
        assert_eq!(
            "prefix(0)".parse::<Transform>(),
            Err(TransformError::PrefixLength)
        );
        assert_eq!(
            "prefix(33)".parse::<Transform>(),
            Err(TransformError::PrefixLength)
        );
        assert!(matches!(
            "sounds".parse::<Transform>(),
            Err(TransformError::Unknown(_))
        ));
    }

    #[test]
    fn prefixes_count_characters_not_bytes() {
        assert_eq!(Transform::Prefix(3).apply("josé"), "jos");
        assert_eq!(Transform::Prefix(4).apply("josé"), "josé");
        assert_eq!(Transform::Prefix(9).apply("al"), "al");
        assert_eq!(Transform::Prefix(1).apply("ñ"), "ñ");
        assert_eq!(Transform::Prefix(3).apply("326011234"), "326");
    }

    #[test]
    fn dates_give_year_and_month() {
        assert_eq!(Transform::Year.apply("1910-01-02"), "1910");
        assert_eq!(Transform::YearMonth.apply("1910-01-02"), "1910-01");
        assert_eq!(Transform::Exact.apply("1910-01-02"), "1910-01-02");
    }

    /// Reference codes of Apache commons-codec, which rphonetic ports.
    #[test]
    fn phonetic_codes_match_commons_codec() {
        assert_eq!(Transform::Soundex.apply("robert"), "R163");
        assert_eq!(Transform::Soundex.apply("rupert"), "R163");
        assert_eq!(Transform::Soundex.apply("ashcraft"), "A261");
        assert_eq!(Transform::Soundex.apply("tymczak"), "T522");
        assert_eq!(Transform::Nysiis.apply("catherine"), "CATARA");
        assert_eq!(Transform::Nysiis.apply("kathryn"), "CATRYN");
        assert_eq!(Transform::Metaphone.apply("smith"), "SM0");
        assert_eq!(Transform::Metaphone.apply("schmidt"), "XMT");
        assert_eq!(Transform::Metaphone.apply("thompson"), "TMPS");
        assert_eq!(Transform::Nysiis.apply("brown"), "BRAN");
        assert_eq!(Transform::Nysiis.apply("schmidt"), "SNAD");
    }

    #[test]
    fn phonetic_input_is_folded_to_ascii_letters() {
        assert_eq!(fold_to_ascii_letters("núñez"), "nunez");
        assert_eq!(fold_to_ascii_letters("ångström"), "angstrom");
        assert_eq!(fold_to_ascii_letters("ﬁnn２"), "finn");
        assert_eq!(fold_to_ascii_letters("øre"), "re");
        assert_eq!(fold_to_ascii_letters("山田"), "");
        assert_eq!(
            Transform::Soundex.apply("josé"),
            Transform::Soundex.apply("jose")
        );
        // Nothing left to encode: the key is skipped, not hashed empty.
        assert_eq!(Transform::Soundex.apply("山田"), "");
        assert_eq!(Transform::Metaphone.apply("１２"), "");
        assert_eq!(Transform::Nysiis.apply(""), "");
    }

    #[test]
    fn transforms_are_checked_against_fields() {
        assert!(Transform::Year.check(Field::Dob).is_ok());
        assert!(Transform::Year.check(Field::First).is_err());
        assert!(Transform::Soundex.check(Field::Dob).is_err());
        assert!(Transform::Soundex.check(Field::Zip).is_err());
        assert!(Transform::Prefix(3).check(Field::Zip).is_ok());
        assert!(Transform::Prefix(3).check(Field::Dob).is_err());
        assert!(Transform::Prefix(1).check(Field::Sex).is_err());
        for field in Field::ALL {
            assert!(Transform::Exact.check(field).is_ok());
        }
        assert_eq!(
            Transform::Metaphone
                .check(Field::Race)
                .unwrap_err()
                .to_string(),
            "metaphone does not apply to race"
        );
    }

    /// Whatever the text, the encoders return without panicking.
    #[test]
    fn phonetic_codes_never_panic() {
        let samples = [
            "a",
            "h",
            "w",
            "hw",
            "aeiouy",
            "mcdonald",
            "schwarzenegger",
            "xavier",
            "ghislaine",
            "wright",
            "czerny",
            "tchaikovsky",
            "jrjrjr",
            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "mac",
            "kn",
            "ph",
            "sch",
            "ev",
            "éé",
            "ǆ",
            "ß",
            "İ",
        ];
        for s in samples {
            for t in [Transform::Soundex, Transform::Nysiis, Transform::Metaphone] {
                let code = t.apply(s);
                assert!(
                    code.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{t} {s}: {code}"
                );
            }
        }
    }
}
