//! Field normalization, byte for byte as the older Python 3 hashers did it.
//!
//! Partners who switch to this client must produce the hashes they already
//! produced, or every linked patient gets a new UUID. The older tools kept a
//! character only when `str.isalnum()` was true (and its general category did
//! not start with `P`), then called `str.lower()`. Dates become `YYYY-MM-DD`
//! and a one-character race code is left-padded with `0`. Everything here is
//! pure so it can be tested without files; errors never carry field values,
//! because those values are PHI.

use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup, NumericType};
use std::fmt;

/// Normalizes a free-text field (names, sex, race, zip, city) as Python did.
///
/// Deletion happens before lowercasing, as in the older tools, so characters
/// that lowercasing introduces (U+0130 gives `i` plus U+0307) stay, and final
/// sigma is judged on the string without its spaces and punctuation.
/// Character data is current Unicode (Rust's standard library and ICU4X);
/// the older tools used their Python's, and the few characters whose
/// properties changed since are listed by the python3 oracle test.
pub fn normalize_text(raw: &str) -> String {
    let kept: String = raw.chars().filter(|&c| is_python_alnum(c)).collect();
    // `str::to_lowercase` applies the full, context-sensitive mapping
    // (final sigma, U+0130), which is what Python's `str.lower()` does.
    kept.to_lowercase()
}

/// Mirrors Python's `str.isalnum()` for one character, minus punctuation.
///
/// Python's `isalnum` is `isalpha` (categories L*) or `isdecimal`/`isdigit`/
/// `isnumeric` (any Numeric_Type other than None, which covers Nd, Nl, No and
/// a few ideographs). Punctuation is excluded explicitly because the older
/// tools tested it separately; no punctuation character is alphanumeric, so
/// this changes nothing but documents the rule.
pub fn is_python_alnum(c: char) -> bool {
    let category = CodePointMapData::<GeneralCategory>::new().get(c);
    if GeneralCategoryGroup::Punctuation.contains(category) {
        return false;
    }
    GeneralCategoryGroup::Letter.contains(category)
        || GeneralCategoryGroup::Number.contains(category)
        || CodePointMapData::<NumericType>::new().get(c) != NumericType::None
}

/// Left-pads a one-character race code with `0`, after text normalization.
///
/// The older tools stored race as a two-digit code, so `4` and `04` must hash
/// alike; the refusal list (`07` and friends) is checked after this step.
pub fn normalize_race(raw: &str) -> String {
    let text = normalize_text(raw);
    if text.chars().count() == 1 {
        format!("0{text}")
    } else {
        text
    }
}

/// Which part of a slashed date comes first.
///
/// The older tool read `01/02/1990` as January 2; day-first input exists in
/// some exports, but only an operator who knows the file can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlashOrder {
    /// `MM/DD/YYYY`, as the older tool read slashed dates.
    #[default]
    MonthFirst,
    /// `DD/MM/YYYY`, only when the operator asks for it.
    DayFirst,
}

/// Why a date could not be read; carries no part of the value (it is PHI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The value matches none of the accepted forms.
    #[error("not a recognized date form (expected YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)")]
    UnrecognizedForm,
    /// A year written with two digits is ambiguous (1920 or 2020?).
    #[error("two-digit year; write the year with four digits")]
    TwoDigitYear,
    /// The month is not between 1 and 12.
    #[error("month out of range")]
    MonthOutOfRange,
    /// The day does not exist in that month.
    #[error("day out of range for the month")]
    DayOutOfRange,
    /// Year zero does not exist in the calendar the older tools used.
    #[error("year out of range")]
    YearOutOfRange,
}

/// A validated calendar date, printed as the `YYYY-MM-DD` the hashes contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Normalizes a date field to `YYYY-MM-DD`; an empty field stays empty.
///
/// Accepted: `YYYY-MM-DD` (one-digit month or day tolerated), `YYYYMMDD`, and
/// slashed dates in the order given. Surrounding whitespace is ignored.
pub fn normalize_date(raw: &str, order: SlashOrder) -> Result<String, DateError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    parse_date(trimmed, order).map(|d| d.to_string())
}

/// Parses one non-empty, trimmed date in any accepted form.
pub fn parse_date(s: &str, order: SlashOrder) -> Result<Date, DateError> {
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'/')
    {
        return Err(DateError::UnrecognizedForm);
    }
    let (year, month, day) = if s.contains('/') {
        let parts = split3(s, '/')?;
        let (first, second, year) = parts;
        if !is_short_number(first) || !is_short_number(second) {
            return Err(DateError::UnrecognizedForm);
        }
        check_year_width(year)?;
        match order {
            SlashOrder::MonthFirst => (year, first, second),
            SlashOrder::DayFirst => (year, second, first),
        }
    } else if s.contains('-') {
        let (year, month, day) = split3(s, '-')?;
        if !is_short_number(month) || !is_short_number(day) {
            return Err(DateError::UnrecognizedForm);
        }
        check_year_width(year)?;
        (year, month, day)
    } else if s.len() == 8 {
        (&s[..4], &s[4..6], &s[6..])
    } else if s.len() == 6 {
        // YYMMDD: refuse it by name rather than as an unknown form.
        return Err(DateError::TwoDigitYear);
    } else {
        return Err(DateError::UnrecognizedForm);
    };
    build_date(year, month, day)
}

fn split3(s: &str, sep: char) -> Result<(&str, &str, &str), DateError> {
    let mut parts = s.split(sep);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) => Ok((a, b, c)),
        _ => Err(DateError::UnrecognizedForm),
    }
}

fn check_year_width(year: &str) -> Result<(), DateError> {
    match year.len() {
        4 => Ok(()),
        2 => Err(DateError::TwoDigitYear),
        _ => Err(DateError::UnrecognizedForm),
    }
}

fn is_short_number(s: &str) -> bool {
    (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn build_date(year: &str, month: &str, day: &str) -> Result<Date, DateError> {
    let number = |s: &str| s.parse::<u16>().map_err(|_| DateError::UnrecognizedForm);
    let year = number(year)?;
    let month = number(month)?;
    let day = number(day)?;
    if year == 0 {
        return Err(DateError::YearOutOfRange);
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::MonthOutOfRange);
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(DateError::DayOutOfRange);
    }
    Ok(Date {
        year,
        month: u8::try_from(month).map_err(|_| DateError::MonthOutOfRange)?,
        day: u8::try_from(day).map_err(|_| DateError::DayOutOfRange)?,
    })
}

fn days_in_month(year: u16, month: u16) -> u16 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_spaces_and_punctuation_then_lowercases() {
        assert_eq!(normalize_text("  JOHN "), "john");
        assert_eq!(normalize_text("Mary-Jane"), "maryjane");
        assert_eq!(normalize_text("O'Neil"), "oneil");
        assert_eq!(normalize_text("St. Augustine"), "staugustine");
        assert_eq!(normalize_text("32601-1234"), "326011234");
        assert_eq!(normalize_text("José"), "josé");
        assert_eq!(normalize_text(""), "");
        assert_eq!(normalize_text(" -.' "), "");
    }

    #[test]
    fn text_keeps_letters_and_numbers_of_every_script() {
        assert_eq!(normalize_text("Ｊｏｈｎ１２"), "ｊｏｈｎ１２");
        assert_eq!(normalize_text("Ⅻ½²"), "ⅻ½²");
        assert_eq!(normalize_text("山田 太郎"), "山田太郎");
        assert_eq!(normalize_text("Straße"), "straße");
    }

    #[test]
    fn text_drops_marks_symbols_and_format_characters() {
        // Combining acute (Mn) is not alphanumeric in Python: it is deleted.
        assert_eq!(normalize_text("Jose\u{301}"), "jose");
        assert_eq!(normalize_text("a\u{a0}b\u{200d}c😀"), "abc");
    }

    #[test]
    fn text_lowercases_like_python() {
        assert_eq!(normalize_text("İ"), "i\u{307}");
        assert_eq!(normalize_text("ΟΔΟΣ"), "οδος");
        // The space goes first, so the first sigma is no longer word-final.
        assert_eq!(normalize_text("ΟΣ ΟΣ"), "οσος");
    }

    #[test]
    fn race_is_padded_after_normalization() {
        assert_eq!(normalize_race("4"), "04");
        assert_eq!(normalize_race(" 7 "), "07");
        assert_eq!(normalize_race("05"), "05");
        assert_eq!(normalize_race("NI"), "ni");
        assert_eq!(normalize_race(""), "");
    }

    #[test]
    fn dates_in_accepted_forms() {
        let mf = SlashOrder::MonthFirst;
        assert_eq!(normalize_date("1910-01-01", mf), Ok("1910-01-01".into()));
        assert_eq!(normalize_date(" 19101101 ", mf), Ok("1910-11-01".into()));
        assert_eq!(normalize_date("02/03/1901", mf), Ok("1901-02-03".into()));
        assert_eq!(normalize_date("2/3/1901", mf), Ok("1901-02-03".into()));
        assert_eq!(
            normalize_date("02/03/1901", SlashOrder::DayFirst),
            Ok("1901-03-02".into())
        );
        assert_eq!(normalize_date("2000-2-29", mf), Ok("2000-02-29".into()));
        assert_eq!(normalize_date("", mf), Ok(String::new()));
        assert_eq!(normalize_date("   ", mf), Ok(String::new()));
    }

    #[test]
    fn invalid_dates_are_named() {
        let mf = SlashOrder::MonthFirst;
        assert_eq!(normalize_date("01/02/90", mf), Err(DateError::TwoDigitYear));
        assert_eq!(normalize_date("90-01-02", mf), Err(DateError::TwoDigitYear));
        assert_eq!(normalize_date("900102", mf), Err(DateError::TwoDigitYear));
        assert_eq!(
            normalize_date("13/02/1990", mf),
            Err(DateError::MonthOutOfRange)
        );
        assert_eq!(
            normalize_date("1900-02-29", mf),
            Err(DateError::DayOutOfRange)
        );
        assert_eq!(
            normalize_date("1990-04-31", mf),
            Err(DateError::DayOutOfRange)
        );
        assert_eq!(
            normalize_date("0000-01-01", mf),
            Err(DateError::YearOutOfRange)
        );
        for bad in [
            "yesterday",
            "1990-01",
            "1990-01-02-03",
            "1990/01/02",
            "1990-001-02",
            "1990.01.02",
            "19900102T",
            "1990-01-02 00:00",
            "٢٠٠٠-٠١-٠١",
        ] {
            assert_eq!(
                normalize_date(bad, mf),
                Err(DateError::UnrecognizedForm),
                "{bad}"
            );
        }
    }

    #[test]
    fn date_errors_do_not_echo_the_value() {
        let err = normalize_date("13/02/1990", SlashOrder::MonthFirst)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.contains("1990"), "{err}");
    }
}
