//! Placeholder screening: values that identify nobody (UNKNOWN, BABY BOY,
//! JOHN DOE, a birth date of 1900-01-01, ZIP 00000) are shared by unrelated
//! patients, so a hash built on them would link strangers. A screened field
//! is marked unusable on the row, which skips every rule that reads it for
//! that row; other rules still hash.
//!
//! The lists come with defaults and are configurable (`[placeholders]`).
//! Entries are normalized exactly like the fields (so `Baby Boy` matches
//! `BABY-BOY`); an entry ending in `*` matches every value that starts with
//! it. Counts are kept per field and reason, never values, for the run's
//! summary. Screening is on by default; turned off, the client reproduces
//! the older hashers byte for byte, placeholders included.

use crate::config::PlaceholderConfig;
use crate::normalize::{SlashOrder, normalize_date, normalize_race, normalize_text};
use crate::rules::{Field, NormalizedRow};
use std::collections::HashSet;

/// Why a field of a row is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Screened {
    /// The value is on the field's placeholder list.
    Placeholder,
    /// First and last name together are a placeholder (JOHN DOE).
    PlaceholderName,
    /// A birth date before the plausible range.
    ImplausibleDate,
    /// A birth date that could not be read.
    UnreadableDate,
}

impl Screened {
    /// Every reason, in summary order.
    pub const ALL: [Screened; 4] = [
        Screened::Placeholder,
        Screened::PlaceholderName,
        Screened::ImplausibleDate,
        Screened::UnreadableDate,
    ];

    fn index(self) -> usize {
        match self {
            Screened::Placeholder => 0,
            Screened::PlaceholderName => 1,
            Screened::ImplausibleDate => 2,
            Screened::UnreadableDate => 3,
        }
    }

    /// The reason as the summary words it.
    pub fn label(self) -> &'static str {
        match self {
            Screened::Placeholder => "placeholder",
            Screened::PlaceholderName => "placeholder name",
            Screened::ImplausibleDate => "implausible date",
            Screened::UnreadableDate => "unreadable date",
        }
    }
}

/// Default placeholders of either name, first or last (a trailing `*`
/// matches a prefix).
pub const DEFAULT_EITHER_NAME: &[&str] = &[
    "unknown",
    "unk",
    "unkn",
    "unknwn",
    "noname",
    "none",
    "null",
    "na",
    "test",
    "testpatient",
    "patient",
    "anonymous",
    "anon",
    "unidentified",
    "unnamed",
    "trauma*",
    "xx",
    "xxx",
    "xxxx",
    "zz",
    "zzz",
    "zzzz",
];

/// Default placeholder first names besides [`DEFAULT_EITHER_NAME`].
pub const DEFAULT_FIRST: &[&str] = &[
    "baby*",
    "boy",
    "girl",
    "infant",
    "newborn",
    "nb",
    "bb",
    "bg",
    "nofirstname",
    "nfn",
    "fnu",
    "twin",
    "twina",
    "twinb",
    "twinc",
    "male",
    "female",
];

/// Default placeholder last names besides [`DEFAULT_EITHER_NAME`].
pub const DEFAULT_LAST: &[&str] = &["nolastname", "nln", "lnu"];

/// Default placeholder full names (first, last).
pub const DEFAULT_NAMES: &[(&str, &str)] = &[
    ("john", "doe"),
    ("jane", "doe"),
    ("baby", "doe"),
    ("test", "test"),
    ("test", "patient"),
    ("patient", "test"),
];

/// Default placeholder birth dates (besides those before [`DEFAULT_DOB_BEFORE`]).
pub const DEFAULT_DOB: &[&str] = &[
    "1899-12-31",
    "1900-01-01",
    "1901-01-01",
    "2099-12-31",
    "2100-01-01",
    "2999-12-31",
    "9999-01-01",
    "9999-12-31",
];

/// Birth dates before this one are implausible for a living patient and
/// are mostly system defaults (0001-01-01, 1753-01-01, 1800-01-01).
pub const DEFAULT_DOB_BEFORE: &str = "1880-01-01";

/// Default placeholder ZIP codes.
pub const DEFAULT_ZIP: &[&str] = &[
    "00000*",
    "99999*",
    "11111",
    "111111111",
    "12345",
    "123456789",
];

/// Default placeholder cities.
pub const DEFAULT_CITY: &[&str] = &[
    "unknown", "unk", "none", "null", "na", "homeless", "test", "xxx",
];

/// Default placeholder sex codes (NI, UN and OT are refused by every rule
/// anyway, as the older hashers did).
pub const DEFAULT_SEX: &[&str] = &["u", "unk", "unknown"];

/// Default placeholder race codes (NI, UN, OT and 07 are refused anyway).
pub const DEFAULT_RACE: &[&str] = &["unk", "unknown"];

/// A placeholder list entry that cannot be used; names the entry (lists
/// are configuration, not patient data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenError {
    /// The entry is empty after normalization.
    #[error("[placeholders] {field}: entry {entry:?} is empty after normalization")]
    Empty {
        /// The list.
        field: &'static str,
        /// The entry as written.
        entry: String,
    },
    /// A date entry that is not a date.
    #[error("[placeholders] {field}: {entry:?} is not a date (write YYYY-MM-DD)")]
    NotADate {
        /// `dob` or `dob_before`.
        field: &'static str,
        /// The entry as written.
        entry: String,
    },
    /// A `*` on a birth date.
    #[error("[placeholders] dob: {0:?}: prefixes (*) are not supported for dates")]
    DatePrefix(String),
}

/// The values of one field that identify nobody.
#[derive(Debug, Clone, Default)]
struct List {
    exact: HashSet<String>,
    prefixes: Vec<String>,
}

impl List {
    fn contains(&self, value: &str) -> bool {
        self.exact.contains(value) || self.prefixes.iter().any(|p| value.starts_with(p.as_str()))
    }
}

/// The screening lists in effect.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    lists: [List; 7],
    names: HashSet<(String, String)>,
    dob_before: Option<String>,
}

impl Placeholders {
    /// The default lists.
    pub fn defaults() -> Self {
        Self::from_config(&PlaceholderConfig::default())
            .unwrap_or_else(|_| unreachable!("the default lists are valid"))
    }

    /// The defaults (unless `defaults = false`) plus the configured entries.
    pub fn from_config(config: &PlaceholderConfig) -> Result<Self, ScreenError> {
        let with_defaults = config.defaults.unwrap_or(true);
        let mut screen = Placeholders::default();
        let lists: [(Field, &[&str], &[String]); 9] = [
            (Field::First, DEFAULT_EITHER_NAME, &[]),
            (Field::Last, DEFAULT_EITHER_NAME, &[]),
            (Field::First, DEFAULT_FIRST, &config.first),
            (Field::Last, DEFAULT_LAST, &config.last),
            (Field::Dob, DEFAULT_DOB, &config.dob),
            (Field::Sex, DEFAULT_SEX, &config.sex),
            (Field::Race, DEFAULT_RACE, &config.race),
            (Field::Zip, DEFAULT_ZIP, &config.zip),
            (Field::City, DEFAULT_CITY, &config.city),
        ];
        for (field, defaults, configured) in lists {
            let defaults = defaults.iter().copied().filter(|_| with_defaults);
            for entry in defaults.chain(configured.iter().map(String::as_str)) {
                screen.add(field, entry)?;
            }
        }
        let default_names = DEFAULT_NAMES.iter().copied().filter(|_| with_defaults);
        let configured_names = config.names.iter().map(|[f, l]| (f.as_str(), l.as_str()));
        for (first, last) in default_names.chain(configured_names) {
            let pair = (normalize_text(first), normalize_text(last));
            if pair.0.is_empty() || pair.1.is_empty() {
                return Err(ScreenError::Empty {
                    field: "names",
                    entry: format!("{first} {last}"),
                });
            }
            screen.names.insert(pair);
        }
        let before = config
            .dob_before
            .as_deref()
            .or(with_defaults.then_some(DEFAULT_DOB_BEFORE));
        if let Some(before) = before {
            screen.dob_before = Some(date_entry("dob_before", before)?);
        }
        Ok(screen)
    }

    fn add(&mut self, field: Field, entry: &str) -> Result<(), ScreenError> {
        let list = &mut self.lists[field.index()];
        if field == Field::Dob {
            if entry.trim_end().ends_with('*') {
                return Err(ScreenError::DatePrefix(entry.to_owned()));
            }
            list.exact.insert(date_entry("dob", entry)?);
            return Ok(());
        }
        let (text, prefix) = match entry.trim_end().strip_suffix('*') {
            Some(text) => (text, true),
            None => (entry, false),
        };
        let normalized = match field {
            Field::Race => normalize_race(text),
            _ => normalize_text(text),
        };
        if normalized.is_empty() {
            return Err(ScreenError::Empty {
                field: field.name(),
                entry: entry.to_owned(),
            });
        }
        if prefix {
            list.prefixes.push(normalized);
        } else {
            list.exact.insert(normalized);
        }
        Ok(())
    }

    /// Marks the row's placeholder fields unusable.
    pub fn apply(&self, row: &mut NormalizedRow) {
        for field in Field::ALL {
            let value = row.get(field);
            if !value.is_empty() && self.lists[field.index()].contains(value) {
                row.screen(field, Screened::Placeholder);
            }
        }
        let (first, last) = (row.get(Field::First), row.get(Field::Last));
        if !first.is_empty()
            && !last.is_empty()
            && self.names.contains(&(first.to_owned(), last.to_owned()))
        {
            row.screen(Field::First, Screened::PlaceholderName);
            row.screen(Field::Last, Screened::PlaceholderName);
        }
        let dob = row.get(Field::Dob);
        // `YYYY-MM-DD` strings order like the dates they write.
        if !dob.is_empty() && self.dob_before.as_deref().is_some_and(|b| dob < b) {
            row.screen(Field::Dob, Screened::ImplausibleDate);
        }
    }
}

fn date_entry(field: &'static str, entry: &str) -> Result<String, ScreenError> {
    match normalize_date(entry, SlashOrder::MonthFirst) {
        Ok(date) if !date.is_empty() => Ok(date),
        _ => Err(ScreenError::NotADate {
            field,
            entry: entry.to_owned(),
        }),
    }
}

/// Rows with a screened field, per field and reason. Unreadable dates are
/// not counted here: each is reported as a row problem, by row number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScreenCounts {
    rows: [[u64; 4]; 7],
}

impl ScreenCounts {
    /// Counts the row's screened fields.
    pub fn record(&mut self, row: &NormalizedRow) {
        for field in Field::ALL {
            match row.screened(field) {
                None | Some(Screened::UnreadableDate) => {}
                Some(why) => self.rows[field.index()][why.index()] += 1,
            }
        }
    }

    /// Rows whose `field` was not used for `why`.
    pub fn get(&self, field: Field, why: Screened) -> u64 {
        self.rows[field.index()][why.index()]
    }

    /// One line for the run's summary, or `None` when nothing was skipped.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        for field in Field::ALL {
            for why in Screened::ALL {
                let n = self.get(field, why);
                if n > 0 {
                    let rows = if n == 1 { "row" } else { "rows" };
                    parts.push(format!("{field} {} {n} {rows}", why.label()));
                }
            }
        }
        (!parts.is_empty()).then(|| {
            format!(
                "placeholders screened (the rules reading them were skipped): {}",
                parts.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(Field, &str)]) -> NormalizedRow {
        NormalizedRow::of(pairs)
    }

    fn screened(screen: &Placeholders, pairs: &[(Field, &str)]) -> Vec<(Field, Screened)> {
        let mut r = row(pairs);
        screen.apply(&mut r);
        Field::ALL
            .into_iter()
            .filter_map(|f| r.screened(f).map(|w| (f, w)))
            .collect()
    }

    #[test]
    fn default_placeholders_are_screened_after_normalization() {
        use Field::{Dob, First, Last, Sex, Zip};
        use Screened::{ImplausibleDate, Placeholder, PlaceholderName};
        let s = Placeholders::defaults();
        for (row, expected) in [
            (
                [(First, "Baby Boy"), (Last, "Smith")],
                &[(First, Placeholder)][..],
            ),
            (
                [(First, "BABY-GIRL 2"), (Last, "UNKNOWN")],
                &[(First, Placeholder), (Last, Placeholder)],
            ),
            (
                [(First, "John"), (Last, "Doe")],
                &[(First, PlaceholderName), (Last, PlaceholderName)],
            ),
            (
                [(Dob, "01/01/1900"), (Zip, "00000-1234")],
                &[(Dob, Placeholder), (Zip, Placeholder)],
            ),
            (
                [(Dob, "1800-01-01"), (Sex, "U")],
                &[(Dob, ImplausibleDate), (Sex, Placeholder)],
            ),
        ] {
            assert_eq!(screened(&s, &row), expected, "{row:?}");
        }
    }

    #[test]
    fn real_people_are_not_screened() {
        let s = Placeholders::defaults();
        for (first, last, dob, zip) in [
            ("John", "Smith", "1900-01-02", "32601"),
            ("Jane", "Doerr", "1880-01-01", "12346"),
            ("Babette", "Doe", "1970-01-01", "99998"),
            ("Boyd", "Test-Smith", "2000-02-29", "00001"),
        ] {
            let found = screened(
                &s,
                &[
                    (Field::First, first),
                    (Field::Last, last),
                    (Field::Dob, dob),
                    (Field::Zip, zip),
                ],
            );
            assert!(found.is_empty(), "{first} {last}: {found:?}");
        }
    }

    #[test]
    fn configured_lists_extend_or_replace_the_defaults() {
        let config = PlaceholderConfig {
            first: vec!["TBD".into()],
            names: vec![["Richard".into(), "Roe".into()]],
            dob: vec!["1970-01-01".into()],
            ..PlaceholderConfig::default()
        };
        let s = Placeholders::from_config(&config).unwrap();
        assert_eq!(screened(&s, &[(Field::First, "tbd")]).len(), 1);
        assert_eq!(screened(&s, &[(Field::First, "Unknown")]).len(), 1);
        assert_eq!(
            screened(&s, &[(Field::First, "Richard"), (Field::Last, "Roe")]).len(),
            2
        );
        assert_eq!(screened(&s, &[(Field::Dob, "1970-01-01")]).len(), 1);

        let only = PlaceholderConfig {
            defaults: Some(false),
            ..config
        };
        let s = Placeholders::from_config(&only).unwrap();
        assert!(screened(&s, &[(Field::First, "Unknown")]).is_empty());
        assert!(screened(&s, &[(Field::Dob, "1800-01-01")]).is_empty());
        assert_eq!(screened(&s, &[(Field::First, "tbd")]).len(), 1);
    }

    #[test]
    fn bad_entries_are_refused_by_name() {
        let bad =
            |config: PlaceholderConfig| Placeholders::from_config(&config).unwrap_err().to_string();
        assert!(
            bad(PlaceholderConfig {
                first: vec!["--".into()],
                ..Default::default()
            })
            .contains("empty")
        );
        assert!(
            bad(PlaceholderConfig {
                dob: vec!["1900".into()],
                ..Default::default()
            })
            .contains("not a date")
        );
        assert!(
            bad(PlaceholderConfig {
                dob: vec!["1900-01-01*".into()],
                ..Default::default()
            })
            .contains("prefixes")
        );
        assert!(
            bad(PlaceholderConfig {
                dob_before: Some("soon".into()),
                ..Default::default()
            })
            .contains("dob_before")
        );
        assert!(
            bad(PlaceholderConfig {
                names: vec![["x".into(), " ".into()]],
                ..Default::default()
            })
            .contains("names")
        );
    }

    #[test]
    fn counts_name_fields_and_reasons_only() {
        let s = Placeholders::defaults();
        let mut counts = ScreenCounts::default();
        assert_eq!(counts.summary(), None);
        for pairs in [
            &[
                (Field::First, "John"),
                (Field::Last, "Doe"),
                (Field::Dob, "1900-01-01"),
            ][..],
            &[(Field::First, "Baby"), (Field::Last, "Lee")][..],
            &[(Field::First, "Aly"), (Field::Last, "Lee")][..],
        ] {
            let mut r = row(pairs);
            s.apply(&mut r);
            counts.record(&r);
        }
        assert_eq!(counts.get(Field::First, Screened::Placeholder), 1);
        assert_eq!(counts.get(Field::First, Screened::PlaceholderName), 1);
        assert_eq!(
            counts.summary().unwrap(),
            "placeholders screened (the rules reading them were skipped): first placeholder 1 row, \
             first placeholder name 1 row, last placeholder name 1 row, dob placeholder 1 row"
        );
    }
}
