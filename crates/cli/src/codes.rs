//! Sex and race values outside the codes the rules expect.
//!
//! A rule hashes a value as written (after normalization), so `Male` and
//! `M`, or `White` and `05`, give different hashes and the same person is
//! not linked across sites that write them differently. Nothing is refused
//! for it (the older hashers did not refuse it either); the run warns once,
//! with a count and the first row number, never a value.

use crate::rules::{Field, NormalizedRow};

/// Sex codes after normalization: ambiguous, female, male, and the three
/// meaning unknown.
const SEX: &[&str] = &["a", "f", "m", "ni", "un", "ot"];

/// Race codes after normalization (`5` is padded to `05` before this).
const RACE: &[&str] = &["01", "02", "03", "04", "05", "06", "07", "ni", "un", "ot"];

/// The checked fields, their codes and how the warning writes them.
const CHECKED: [(Field, &[&str], &str); 2] = [
    (Field::Sex, SEX, "M, F, A; NI, UN, OT for unknown"),
    (
        Field::Race,
        RACE,
        "01 to 07, written with or without the 0; NI, UN, OT for unknown",
    ),
];

/// Rows with a value outside the codes, per checked field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnexpectedCodes {
    rows: [u64; 2],
    first_row: [u64; 2],
}

impl UnexpectedCodes {
    /// Notes data row `row` if a checked field holds a value outside its
    /// codes. Empty and screened (placeholder) values are not counted:
    /// no rule hashes them.
    pub fn check(&mut self, row: u64, values: &NormalizedRow) {
        for (i, (field, codes, _)) in CHECKED.iter().enumerate() {
            let value = values.get(*field);
            if value.is_empty() || values.screened(*field).is_some() || codes.contains(&value) {
                continue;
            }
            self.rows[i] += 1;
            if self.first_row[i] == 0 {
                self.first_row[i] = row;
            }
        }
    }

    /// Rows counted for `field` (0 for a field not checked).
    pub fn rows(&self, field: Field) -> u64 {
        CHECKED
            .iter()
            .position(|(f, ..)| *f == field)
            .map_or(0, |i| self.rows[i])
    }

    /// One warning per field that had such values.
    pub fn warnings(&self) -> Vec<String> {
        CHECKED
            .iter()
            .enumerate()
            .filter(|(i, _)| self.rows[*i] > 0)
            .map(|(i, (field, _, codes))| {
                let n = self.rows[i];
                let rows = if n == 1 { "row has" } else { "rows have" };
                format!(
                    "warning: {n} {rows} a {field} value outside the codes the rules expect \
                     ({codes}), the first at row {}: such a value is hashed as written, so \
                     `Male` and `M` give different hashes and the same person does not link \
                     across sites; map the values to these codes in the export",
                    self.first_row[i]
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::Screened;

    fn row(sex: &str, race: &str) -> NormalizedRow {
        NormalizedRow::of(&[(Field::Sex, sex), (Field::Race, race)])
    }

    #[test]
    fn the_expected_codes_pass_in_any_case() {
        let mut codes = UnexpectedCodes::default();
        for (sex, race) in [("M", "5"), ("f", "05"), ("A", "NI"), ("un", "7"), ("", "")] {
            codes.check(1, &row(sex, race));
        }
        assert_eq!(codes, UnexpectedCodes::default());
        assert!(codes.warnings().is_empty());
    }

    #[test]
    fn other_values_are_counted_with_the_first_row_and_warned_once() {
        let mut codes = UnexpectedCodes::default();
        codes.check(3, &row("Male", "05"));
        codes.check(4, &row("F", "White"));
        codes.check(9, &row("female", "08"));
        assert_eq!(codes.rows(Field::Sex), 2);
        assert_eq!(codes.rows(Field::Race), 2);
        let warnings = codes.warnings();
        assert_eq!(warnings.len(), 2);
        assert!(
            warnings[0].starts_with("warning: 2 rows have a sex value outside"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("the first at row 3"), "{warnings:?}");
        assert!(warnings[1].contains("race value"), "{warnings:?}");
        assert!(warnings[1].contains("the first at row 4"), "{warnings:?}");
        for w in &warnings {
            assert!(!w.contains("male") && !w.contains("White"), "{w}");
        }
    }

    #[test]
    fn screened_values_are_not_counted() {
        let mut values = row("unknown", "");
        values.screen(Field::Sex, Screened::Placeholder);
        let mut codes = UnexpectedCodes::default();
        codes.check(1, &values);
        assert_eq!(codes.rows(Field::Sex), 0);
    }
}
