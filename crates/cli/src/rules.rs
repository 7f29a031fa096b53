//! Matching rules: which normalized fields, in which order, make the text
//! that is salted and hashed, and when a rule must be skipped for a row.
//!
//! The six built-in codes and field orders are fixed by the older hashers
//! (and by the server's known rule set); note that `F_L_D_R` puts the last
//! name first. A network adds its own keys ([`MatchKey`]); [`HashRule`] is
//! either. A skipped rule produces no hash at all, because hashing a
//! missing value or a placeholder would link every patient who lacks that
//! field to one UUID.

use crate::keys::MatchKey;
use crate::normalize::{DateError, SlashOrder, normalize_date, normalize_race, normalize_text};
use crate::screen::Screened;
use std::fmt;
use std::str::FromStr;

/// One identifying field a rule can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Given name.
    First,
    /// Family name.
    Last,
    /// Date of birth, normalized to `YYYY-MM-DD`.
    Dob,
    /// Administrative sex code.
    Sex,
    /// Two-character race code.
    Race,
    /// ZIP or postal code.
    Zip,
    /// City of residence.
    City,
}

impl Field {
    /// Every field, in the order used for column mapping and messages.
    pub const ALL: [Field; 7] = [
        Field::First,
        Field::Last,
        Field::Dob,
        Field::Sex,
        Field::Race,
        Field::Zip,
        Field::City,
    ];

    /// Position in `Field::ALL`, so per-field data can live in plain arrays
    /// instead of maps on the per-row path.
    pub fn index(self) -> usize {
        match self {
            Field::First => 0,
            Field::Last => 1,
            Field::Dob => 2,
            Field::Sex => 3,
            Field::Race => 4,
            Field::Zip => 5,
            Field::City => 6,
        }
    }

    /// Name used in options, the config file and messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::First => "first",
            Field::Last => "last",
            Field::Dob => "dob",
            Field::Sex => "sex",
            Field::Race => "race",
            Field::Zip => "zip",
            Field::City => "city",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A hashing rule known to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// first + last + dob + sex
    Flds,
    /// last + first + dob + race (the code says F_L but the older tool
    /// hashed the last name first; partners' existing hashes depend on it)
    Fldr,
    /// first + last + dob + zip
    Fldz,
    /// last + first + dob + zip
    Lfdz,
    /// first + last + dob + city
    Fldc,
    /// last + first + dob + city
    Lfdc,
}

impl Rule {
    /// Every rule, in the order of the design document.
    pub const ALL: [Rule; 6] = [
        Rule::Flds,
        Rule::Fldr,
        Rule::Fldz,
        Rule::Lfdz,
        Rule::Fldc,
        Rule::Lfdc,
    ];

    /// The wire code the server knows the rule by.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Flds => "F_L_D_S",
            Rule::Fldr => "F_L_D_R",
            Rule::Fldz => "F_L_D_Z",
            Rule::Lfdz => "L_F_D_Z",
            Rule::Fldc => "F_L_D_C",
            Rule::Lfdc => "L_F_D_C",
        }
    }

    /// Fields concatenated, in order, to form the text that is hashed.
    pub fn fields(self) -> [Field; 4] {
        use Field::{City, Dob, First, Last, Race, Sex, Zip};
        match self {
            Rule::Flds => [First, Last, Dob, Sex],
            Rule::Fldr => [Last, First, Dob, Race],
            Rule::Fldz => [First, Last, Dob, Zip],
            Rule::Lfdz => [Last, First, Dob, Zip],
            Rule::Fldc => [First, Last, Dob, City],
            Rule::Lfdc => [Last, First, Dob, City],
        }
    }

    /// The text to hash for `row`, or `None` when the rule is skipped.
    pub fn text(self, row: &NormalizedRow) -> Option<String> {
        let mut text = String::new();
        for field in self.fields() {
            text.push_str(row.usable(field)?);
        }
        Some(text)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The rule code given is not one this client knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule {0:?}; known rules: F_L_D_S, F_L_D_R, F_L_D_Z, L_F_D_Z, F_L_D_C, L_F_D_C")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    /// Codes are case-sensitive, as on the server.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRule(s.to_owned()))
    }
}

/// Codes meaning "unknown" (no information, unknown, other) carry no identity;
/// hashing them would merge unrelated people, so the older tools refused them.
/// Race `07` ("refused to answer") is refused as well. Values are already
/// normalized (lowercase), which makes the comparison case-insensitive.
fn is_refused_code(field: Field, value: &str) -> bool {
    match field {
        Field::Sex => matches!(value, "ni" | "un" | "ot"),
        Field::Race => matches!(value, "ni" | "un" | "ot" | "07"),
        _ => false,
    }
}

/// A rule the client can hash: a built-in one or a network-defined key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashRule {
    /// One of the six rules of the older hashers.
    Builtin(Rule),
    /// A key from the configuration.
    Key(MatchKey),
}

impl HashRule {
    /// The wire code.
    pub fn code(&self) -> &str {
        match self {
            HashRule::Builtin(rule) => rule.code(),
            HashRule::Key(key) => key.code(),
        }
    }

    /// The fields the rule reads (a field may appear twice in a key).
    pub fn fields(&self) -> Vec<Field> {
        match self {
            HashRule::Builtin(rule) => rule.fields().to_vec(),
            HashRule::Key(key) => key.fields().iter().map(|f| f.field).collect(),
        }
    }

    /// What the rule hashes, for listings and rule registration.
    pub fn definition(&self) -> String {
        match self {
            HashRule::Builtin(rule) => {
                let names: Vec<&str> = rule.fields().iter().map(|f| f.name()).collect();
                format!("{} (built-in, no separator)", names.join(" "))
            }
            HashRule::Key(key) => key.definition(),
        }
    }

    /// The text to hash for `row`, or `None` when the rule is skipped.
    pub fn text(&self, row: &NormalizedRow) -> Option<String> {
        match self {
            HashRule::Builtin(rule) => rule.text(row),
            HashRule::Key(key) => key.text(row),
        }
    }
}

impl From<Rule> for HashRule {
    fn from(rule: Rule) -> Self {
        HashRule::Builtin(rule)
    }
}

impl fmt::Display for HashRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a rule cannot use a field of a row; named in messages, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Empty after normalization (or the column is absent).
    Empty,
    /// A code meaning "unknown" (sex or race `NI`, `UN`, `OT`; race `07`).
    UnknownCode,
    /// Marked unusable: a placeholder, or a date that could not be read.
    Screened(Screened),
}

impl Unusable {
    /// The reason as messages word it.
    pub fn label(self) -> &'static str {
        match self {
            Unusable::Empty => "empty",
            Unusable::UnknownCode => "unknown code",
            Unusable::Screened(why) => why.label(),
        }
    }
}

/// One row's fields after normalization; a missing column is empty. A
/// field can also be marked unusable (a placeholder, or a date that could
/// not be read), which skips every rule that reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizedRow {
    values: [String; 7],
    screened: [Option<Screened>; 7],
}

impl NormalizedRow {
    /// Normalizes raw field values; `raw` returns `None` for absent fields.
    ///
    /// Fails only on a date that cannot be read; the error names the field
    /// problem but never the value.
    pub fn from_raw<'a>(
        raw: impl Fn(Field) -> Option<&'a str>,
        order: SlashOrder,
    ) -> Result<Self, DateError> {
        let mut row = NormalizedRow::default();
        for field in Field::ALL {
            let value = raw(field).unwrap_or("");
            row.values[field.index()] = match field {
                Field::Dob => normalize_date(value, order)?,
                Field::Race => normalize_race(value),
                _ => normalize_text(value),
            };
        }
        Ok(row)
    }

    /// The normalized value of `field` (empty when absent).
    pub fn get(&self, field: Field) -> &str {
        &self.values[field.index()]
    }

    /// The value a rule may use: `None` when it is empty, a refused code,
    /// or marked unusable.
    pub fn usable(&self, field: Field) -> Option<&str> {
        self.unusable(field).is_none().then_some(self.get(field))
    }

    /// Why no rule may use `field` of this row, or `None` when they may.
    pub fn unusable(&self, field: Field) -> Option<Unusable> {
        let value = self.get(field);
        if let Some(why) = self.screened[field.index()] {
            Some(Unusable::Screened(why))
        } else if value.is_empty() {
            Some(Unusable::Empty)
        } else if is_refused_code(field, value) {
            Some(Unusable::UnknownCode)
        } else {
            None
        }
    }

    /// Marks `field` unusable for every rule of this row.
    pub fn screen(&mut self, field: Field, why: Screened) {
        self.screened[field.index()].get_or_insert(why);
    }

    /// Why `field` was marked unusable, if it was.
    pub fn screened(&self, field: Field) -> Option<Screened> {
        self.screened[field.index()]
    }

    /// A row of the given raw values (month-first dates), for tests.
    #[cfg(test)]
    pub(crate) fn of(pairs: &[(Field, &str)]) -> Self {
        let raw = |f| pairs.iter().find(|(k, _)| *k == f).map(|(_, v)| *v);
        match NormalizedRow::from_raw(raw, SlashOrder::MonthFirst) {
            Ok(row) => row,
            Err(err) => panic!("test row: {err}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(Field, &str)]) -> NormalizedRow {
        NormalizedRow::of(pairs)
    }

    fn full() -> NormalizedRow {
        row(&[
            (Field::First, "Aly"),
            (Field::Last, "Bee"),
            (Field::Dob, "01/02/1910"),
            (Field::Sex, "F"),
            (Field::Race, "5"),
            (Field::Zip, "32601-1234"),
            (Field::City, "St. Augustine"),
        ])
    }

    #[test]
    fn rule_texts_follow_the_field_orders() {
        let r = full();
        assert_eq!(Rule::Flds.text(&r).unwrap(), "alybee1910-01-02f");
        assert_eq!(Rule::Fldr.text(&r).unwrap(), "beealy1910-01-0205");
        assert_eq!(Rule::Fldz.text(&r).unwrap(), "alybee1910-01-02326011234");
        assert_eq!(Rule::Lfdz.text(&r).unwrap(), "beealy1910-01-02326011234");
        assert_eq!(Rule::Fldc.text(&r).unwrap(), "alybee1910-01-02staugustine");
        assert_eq!(Rule::Lfdc.text(&r).unwrap(), "beealy1910-01-02staugustine");
    }

    #[test]
    fn empty_field_skips_only_the_rules_using_it() {
        let r = row(&[
            (Field::First, "Aly"),
            (Field::Last, "Bee"),
            (Field::Dob, "1910-01-02"),
            (Field::Sex, " - "),
            (Field::Race, "05"),
        ]);
        assert_eq!(Rule::Flds.text(&r), None);
        assert!(Rule::Fldr.text(&r).is_some());
        assert_eq!(Rule::Fldz.text(&r), None);
        assert_eq!(Rule::Lfdc.text(&r), None);
    }

    #[test]
    fn unknown_codes_are_refused_case_insensitively() {
        for sex in ["NI", "un", "Ot", "o.t."] {
            let r = row(&[
                (Field::First, "a"),
                (Field::Last, "b"),
                (Field::Dob, "1910-01-02"),
                (Field::Sex, sex),
            ]);
            assert_eq!(Rule::Flds.text(&r), None, "{sex}");
        }
        for race in ["NI", "un", "OT", "07", "7", " 7"] {
            let r = row(&[
                (Field::First, "a"),
                (Field::Last, "b"),
                (Field::Dob, "1910-01-02"),
                (Field::Race, race),
            ]);
            assert_eq!(Rule::Fldr.text(&r), None, "{race}");
        }
        let r = row(&[
            (Field::First, "a"),
            (Field::Last, "b"),
            (Field::Dob, "1910-01-02"),
            (Field::Sex, "A"),
            (Field::Race, "4"),
        ]);
        assert_eq!(Rule::Flds.text(&r).unwrap(), "ab1910-01-02a");
        assert_eq!(Rule::Fldr.text(&r).unwrap(), "ba1910-01-0204");
    }

    #[test]
    fn the_reason_a_field_is_unusable_is_known() {
        let mut r = row(&[(Field::First, "Aly"), (Field::Sex, "un")]);
        r.screen(Field::Last, Screened::Placeholder);
        assert_eq!(r.unusable(Field::First), None);
        assert_eq!(r.unusable(Field::Sex), Some(Unusable::UnknownCode));
        assert_eq!(r.unusable(Field::Dob), Some(Unusable::Empty));
        assert_eq!(
            r.unusable(Field::Last),
            Some(Unusable::Screened(Screened::Placeholder))
        );
        assert_eq!(r.usable(Field::First), Some("aly"));
        assert_eq!(r.usable(Field::Sex), None);
    }

    #[test]
    fn bad_date_fails_the_row() {
        let err = NormalizedRow::from_raw(
            |f| (f == Field::Dob).then_some("1990-02-30"),
            SlashOrder::MonthFirst,
        );
        assert_eq!(err, Err(DateError::DayOutOfRange));
    }

    #[test]
    fn field_index_matches_all() {
        for (i, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field.index(), i);
        }
    }

    #[test]
    fn codes_round_trip_and_are_case_sensitive() {
        for rule in Rule::ALL {
            assert_eq!(rule.code().parse::<Rule>().unwrap(), rule);
        }
        assert!("f_l_d_s".parse::<Rule>().is_err());
        assert!("F_L_D_X".parse::<Rule>().is_err());
    }
}
