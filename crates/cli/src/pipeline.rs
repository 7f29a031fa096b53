//! The hashing pipeline: input rows in, `ref` plus one hash per rule out,
//! one row at a time.
//!
//! It is generic over reader and writer so that tests drive it in memory and
//! the command drives it with files or standard streams. Memory use does not
//! grow with the input: one record buffer is reused and output is streamed.
//! A row whose date or encoding is bad is reported through a callback (row
//! number and cause, never values). An unreadable date only makes the rules
//! that read it skip the row, like a missing one; an undecodable cell
//! empties the whole row. Either way the output keeps one line per input
//! row, so the operator can find it by ref. Placeholder screening, when on,
//! marks fields unusable before any rule is applied. Sex and race values
//! outside the expected codes are counted for one warning per run.

use crate::codes::UnexpectedCodes;
use crate::hasher::Hasher;
use crate::input::{ColumnMap, ColumnNames, InputError, Row, RowError, RowReader};
use crate::normalize::SlashOrder;
use crate::rules::{Field, HashRule, NormalizedRow};
use crate::screen::{Placeholders, ScreenCounts, Screened};
use crate::source::{LinkItem, RowSource, SourceRow};
use idmap_common::wire::RuleHash;
use std::io::{BufRead, Write};

/// What to read and which rules to apply.
#[derive(Debug, Clone)]
pub struct HashOptions {
    /// Rules, in output column order (the priority order of the hashes).
    pub rules: Vec<HashRule>,
    /// Input delimiter; `None` detects it from the header line.
    pub delimiter: Option<u8>,
    /// Output delimiter; `None` uses the input's.
    pub output_delimiter: Option<u8>,
    /// How slashed dates are read.
    pub slash_order: SlashOrder,
    /// Header names chosen by the operator.
    pub columns: ColumnNames,
    /// Placeholder lists; `None` turns screening off (the older hashers'
    /// behaviour).
    pub screen: Option<Placeholders>,
}

/// A row that could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// Data-row number: 1 for the first row after the header, blank lines
    /// not counted. Row N is line N + 1 of the output, beside its ref.
    pub row: u64,
    /// What was wrong, without the value.
    pub error: RowError,
}

/// Counts for the operator's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Data rows read (blank lines excluded).
    pub rows: u64,
    /// Rows with a problem (some or all of their hash cells are empty).
    pub rows_with_errors: u64,
    /// Hashes written, over all rules.
    pub hashes: u64,
    /// Placeholders screened, per field and reason.
    pub screened: ScreenCounts,
    /// Sex and race values outside the expected codes.
    pub codes: UnexpectedCodes,
}

/// Failures that stop the run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The input could not be read or lacks a needed column.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The output could not be written.
    #[error("cannot write the output: {0}")]
    Write(String),
}

impl From<csv::Error> for PipelineError {
    fn from(err: csv::Error) -> Self {
        PipelineError::Write(err.to_string())
    }
}

/// The fields the chosen rules read, each once.
pub fn needed_fields(rules: &[HashRule]) -> Vec<Field> {
    let mut fields: Vec<Field> = rules.iter().flat_map(HashRule::fields).collect();
    fields.sort();
    fields.dedup();
    fields
}

/// One row's hashes, in rule order (`None` for a skipped rule), the
/// problem that emptied some of them, if any, and when every rule was
/// skipped without a problem, which fields made them skip.
#[derive(Debug)]
struct HashedRow {
    hashes: Vec<Option<String>>,
    problem: Option<RowError>,
    no_hash: Option<String>,
}

/// What the rows read so far showed, for the summary and warnings.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    screened: ScreenCounts,
    codes: UnexpectedCodes,
}

/// Normalizes, screens and hashes data row number `number`, counting
/// unusable fields and unexpected codes.
fn hash_row(
    row: &Row<'_>,
    number: u64,
    options: &HashOptions,
    hasher: &Hasher,
    seen: &mut Seen,
) -> HashedRow {
    let raw = match decode_fields(row) {
        Ok(raw) => raw,
        Err(problem) => {
            return HashedRow {
                hashes: vec![None; options.rules.len()],
                problem: Some(problem),
                no_hash: None,
            };
        }
    };
    let order = options.slash_order;
    let (mut normalized, problem) = match NormalizedRow::from_raw(|f| raw[f.index()], order) {
        Ok(normalized) => (normalized, None),
        Err(date) => {
            // Without the date the row cannot fail again.
            let without_dob = |f: Field| raw[f.index()].filter(|_| f != Field::Dob);
            let mut normalized = NormalizedRow::from_raw(without_dob, order).unwrap_or_default();
            normalized.screen(Field::Dob, Screened::UnreadableDate);
            (normalized, Some(RowError::Date(date)))
        }
    };
    if let Some(screen) = &options.screen {
        screen.apply(&mut normalized);
    }
    seen.screened.record(&normalized);
    seen.codes.check(number, &normalized);
    let hashes: Vec<Option<String>> = options
        .rules
        .iter()
        .map(|rule| rule.text(&normalized).map(|text| hasher.hash(&text)))
        .collect();
    let no_hash = (problem.is_none() && hashes.iter().all(Option::is_none))
        .then(|| no_hash_reason(&options.rules, &normalized));
    HashedRow {
        hashes,
        problem,
        no_hash,
    }
}

/// Names the fields that made every rule skip a row, grouped by reason:
/// `no hash: every rule was skipped (empty: dob, zip; unknown code: sex)`.
fn no_hash_reason(rules: &[HashRule], row: &NormalizedRow) -> String {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for field in needed_fields(rules) {
        let Some(why) = row.unusable(field) else {
            continue;
        };
        match groups.iter_mut().find(|(label, _)| *label == why.label()) {
            Some((_, fields)) => fields.push(field.name()),
            None => groups.push((why.label(), vec![field.name()])),
        }
    }
    if groups.is_empty() {
        // Every field was there, but a key's transform left one empty (a
        // phonetic code of a name without Latin letters).
        return "no hash: every rule was skipped (a key's transform left nothing of a field)"
            .to_owned();
    }
    let groups: Vec<String> = groups
        .iter()
        .map(|(label, fields)| format!("{label}: {}", fields.join(", ")))
        .collect();
    format!("no hash: every rule was skipped ({})", groups.join("; "))
}

/// Streams `input` to `output`, calling `on_problem` for each bad row.
pub fn hash_stream<R: BufRead, W: Write>(
    input: R,
    output: W,
    options: &HashOptions,
    hasher: &Hasher,
    mut on_problem: impl FnMut(&RowProblem),
) -> Result<Summary, PipelineError> {
    let mut reader = RowReader::open(input, options.delimiter)?;
    let map = ColumnMap::resolve(
        &reader.headers(),
        &options.columns,
        &needed_fields(&options.rules),
    )?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(options.output_delimiter.unwrap_or(reader.delimiter()))
        .from_writer(output);
    writer.write_record(std::iter::once("ref").chain(options.rules.iter().map(HashRule::code)))?;

    let mut summary = Summary::default();
    let mut seen = Seen::default();
    let mut cells: Vec<String> = Vec::with_capacity(options.rules.len() + 1);
    while let Some(row) = reader.next_row(&map)? {
        summary.rows += 1;
        cells.clear();
        cells.push(row.reference().into_owned());
        let hashed = hash_row(&row, summary.rows, options, hasher, &mut seen);
        if let Some(error) = hashed.problem {
            summary.rows_with_errors += 1;
            on_problem(&RowProblem {
                row: summary.rows,
                error,
            });
        }
        for hash in hashed.hashes {
            summary.hashes += u64::from(hash.is_some());
            cells.push(hash.unwrap_or_default());
        }
        writer.write_record(&cells)?;
    }
    writer
        .flush()
        .map_err(|e| PipelineError::Write(e.to_string()))?;
    summary.screened = seen.screened;
    summary.codes = seen.codes;
    Ok(summary)
}

/// The pipeline as a [`RowSource`] for `idmap run`: each row is hashed as
/// it is read and handed over as a link item, so no hash file is written.
pub struct HashedRows<R: BufRead> {
    reader: RowReader<R>,
    map: ColumnMap,
    options: HashOptions,
    hasher: Hasher,
    row: u64,
    seen: Seen,
}

impl<R: BufRead> HashedRows<R> {
    /// Reads the header and maps the columns the rules need.
    pub fn open(input: R, options: &HashOptions, hasher: Hasher) -> Result<Self, PipelineError> {
        let reader = RowReader::open(input, options.delimiter)?;
        let map = ColumnMap::resolve(
            &reader.headers(),
            &options.columns,
            &needed_fields(&options.rules),
        )?;
        Ok(HashedRows {
            reader,
            map,
            options: options.clone(),
            hasher,
            row: 0,
            seen: Seen::default(),
        })
    }
}

impl<R: BufRead> RowSource for HashedRows<R> {
    fn next_row(&mut self) -> anyhow::Result<Option<SourceRow>> {
        let Some(row) = self.reader.next_row(&self.map)? else {
            return Ok(None);
        };
        self.row += 1;
        let number = self.row;
        let reference = row.reference().into_owned();
        let hashed = hash_row(&row, number, &self.options, &self.hasher, &mut self.seen);
        let hashes: Vec<RuleHash> = self
            .options
            .rules
            .iter()
            .zip(hashed.hashes)
            .filter_map(|(rule, hash)| {
                hash.map(|hash| RuleHash {
                    rule: rule.code().to_owned(),
                    hash,
                })
            })
            .collect();
        Ok(Some(match (hashed.problem, hashed.no_hash) {
            (Some(error), _) if hashes.is_empty() => SourceRow::Problem {
                row: number,
                reason: error.to_string(),
            },
            (_, Some(reason)) => SourceRow::Problem {
                row: number,
                reason,
            },
            (problem, None) => SourceRow::Item(LinkItem {
                row: number,
                reference,
                hashes,
                notice: problem.map(|e| format!("{e}; sent with the rules that do not read it")),
            }),
        }))
    }

    fn position(&self) -> u64 {
        self.reader.position()
    }

    fn screened(&self) -> Option<&ScreenCounts> {
        Some(&self.seen.screened)
    }

    fn warnings(&self) -> Vec<String> {
        self.seen.codes.warnings()
    }
}

/// Decodes every needed field first, so an encoding error is reported as
/// such before any date is parsed.
fn decode_fields<'a>(row: &Row<'a>) -> Result<[Option<&'a str>; 7], RowError> {
    let mut raw: [Option<&str>; 7] = [None; 7];
    for (slot, field) in raw.iter_mut().zip(Field::ALL) {
        *slot = row.field(field)?;
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::MatchKey;
    use crate::rules::Rule;
    use secrecy::SecretSlice;

    fn options(rules: &[Rule]) -> HashOptions {
        HashOptions {
            rules: rules.iter().copied().map(HashRule::from).collect(),
            delimiter: None,
            output_delimiter: None,
            slash_order: SlashOrder::MonthFirst,
            columns: ColumnNames::default(),
            screen: None,
        }
    }

    fn key(code: &str, fields: &[&str]) -> HashRule {
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        HashRule::Key(MatchKey::parse(code, &fields).unwrap())
    }

    fn run(input: &str, opts: &HashOptions) -> (String, Summary, Vec<RowProblem>) {
        let hasher = Hasher::salted(SecretSlice::from(Vec::new()));
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let summary = hash_stream(input.as_bytes(), &mut out, opts, &hasher, |p| {
            problems.push(p.clone())
        })
        .unwrap();
        (String::from_utf8(out).unwrap(), summary, problems)
    }

    fn sha(text: &str) -> String {
        Hasher::salted(SecretSlice::from(Vec::new())).hash(text)
    }

    #[test]
    fn writes_ref_and_one_column_per_rule() {
        let (out, summary, problems) = run(
            "ref,first,last,dob,sex\nA1,Aly,Bee,1910-01-01,F\n",
            &options(&[Rule::Flds]),
        );
        assert_eq!(
            out,
            format!("ref,F_L_D_S\nA1,{}\n", sha("alybee1910-01-01f"))
        );
        assert_eq!(summary.rows, 1);
        assert_eq!(summary.hashes, 1);
        assert!(problems.is_empty());
    }

    #[test]
    fn bom_blank_lines_and_short_rows() {
        let (out, summary, _) = run(
            "\u{feff}\n ref;first;last;dob;sex;race\n\nA1;Aly;Bee;1910-01-01\n;;;\n\nA2;Aly;Bee;1910-01-01;F\n",
            &options(&[Rule::Flds, Rule::Fldr]),
        );
        assert_eq!(
            out,
            format!(
                "ref;F_L_D_S;F_L_D_R\nA1;;\nA2;{};\n",
                sha("alybee1910-01-01f")
            )
        );
        assert_eq!(summary.rows, 2);
    }

    #[test]
    fn bad_row_is_reported_by_line_and_written_empty() {
        let (out, summary, problems) = run(
            "ref\tfirst\tlast\tdob\tsex\nA1\tAly\tBee\t1910-01-01\tF\n\nA2\tSecret\tName\t02/30/1950\tF\nA3\tAly\tBee\t01/01/1910\tF\n",
            &options(&[Rule::Flds]),
        );
        let h = sha("alybee1910-01-01f");
        assert_eq!(out, format!("ref\tF_L_D_S\nA1\t{h}\nA2\t\nA3\t{h}\n"));
        assert_eq!(summary.rows_with_errors, 1);
        assert_eq!(
            problems,
            [RowProblem {
                row: 2,
                error: RowError::Date(crate::normalize::DateError::DayOutOfRange)
            }]
        );
    }

    #[test]
    fn invalid_utf8_is_a_row_problem() {
        let hasher = Hasher::salted(SecretSlice::from(Vec::new()));
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let input = b"ref,first,last,dob,sex\nA1,Al\xff,Bee,1910-01-01,F\n";
        hash_stream(
            &input[..],
            &mut out,
            &options(&[Rule::Flds]),
            &hasher,
            |p| problems.push(p.error.clone()),
        )
        .unwrap();
        assert_eq!(problems, [RowError::NotUtf8("first")]);
        assert_eq!(String::from_utf8(out).unwrap(), "ref,F_L_D_S\nA1,\n");
    }

    #[test]
    fn missing_column_names_the_role_not_data() {
        let hasher = Hasher::salted(SecretSlice::from(Vec::new()));
        let err = hash_stream(
            "ref,first,last,dob\nA1,Aly,Bee,1910-01-01\n".as_bytes(),
            Vec::new(),
            &options(&[Rule::Fldz]),
            &hasher,
            |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("no column for zip"), "{err}");
    }

    #[test]
    fn needed_fields_are_deduplicated() {
        assert_eq!(
            needed_fields(&[
                Rule::Fldz.into(),
                Rule::Lfdz.into(),
                key("L_C", &["last", "city"])
            ]),
            [
                Field::First,
                Field::Last,
                Field::Dob,
                Field::Zip,
                Field::City
            ]
        );
    }

    #[test]
    fn keys_are_hashed_beside_the_built_ins_in_rule_order() {
        let mut opts = options(&[Rule::Fldz]);
        opts.rules
            .insert(0, key("L_D_Z", &["last", "dob", "zip:prefix(3)"]));
        let (out, summary, _) = run(
            "ref,first,last,dob,zip\nA1,Aly,Bee,1910-01-01,32601\n",
            &opts,
        );
        assert_eq!(
            out,
            format!(
                "ref,L_D_Z,F_L_D_Z\nA1,{},{}\n",
                sha("L_D_Z|bee|1910-01-01|326"),
                sha("alybee1910-01-0132601")
            )
        );
        assert_eq!(summary.hashes, 2);
    }

    #[test]
    fn an_unreadable_date_skips_only_the_rules_that_read_it() {
        let mut opts = options(&[Rule::Fldz]);
        opts.rules.push(key("F_L_Z", &["first", "last", "zip"]));
        let (out, summary, problems) = run(
            "ref,first,last,dob,zip\nA1,Aly,Bee,1945-04-93,32601\n",
            &opts,
        );
        assert_eq!(
            out,
            format!("ref,F_L_D_Z,F_L_Z\nA1,,{}\n", sha("F_L_Z|aly|bee|32601"))
        );
        assert_eq!(summary.rows_with_errors, 1);
        assert_eq!(summary.screened, ScreenCounts::default(), "a row problem");
        assert_eq!(
            problems[0].error.to_string(),
            "dob: day out of range for the month"
        );
    }

    fn hashed_rows(input: &str, opts: &HashOptions) -> Vec<SourceRow> {
        let hasher = Hasher::salted(SecretSlice::from(Vec::new()));
        let mut rows = HashedRows::open(input.as_bytes(), opts, hasher).unwrap();
        std::iter::from_fn(|| rows.next_row().unwrap()).collect()
    }

    #[test]
    fn a_row_without_any_hash_names_its_fields_not_its_values() {
        let mut opts = options(&[Rule::Flds, Rule::Fldz]);
        opts.screen = Some(Placeholders::defaults());
        let input = "ref,first,last,dob,sex,zip
                     A1,Aly,Unknown,,UN,
                     A2,Aly,Bee,1910-01-01,F,
";
        let rows = hashed_rows(input, &opts);
        assert_eq!(
            rows[0],
            SourceRow::Problem {
                row: 1,
                reason: "no hash: every rule was skipped (placeholder: last; empty: dob, zip; \
                         unknown code: sex)"
                    .into()
            }
        );
        assert!(matches!(&rows[1], SourceRow::Item(item) if item.hashes.len() == 1));
    }

    #[test]
    fn unexpected_sex_codes_are_counted_for_one_warning() {
        let opts = options(&[Rule::Flds]);
        let input = "ref,first,last,dob,sex
A1,Aly,Bee,1910-01-01,M
A2,Aly,Bee,1910-01-01,Male
A3,Aly,Bee,1910-01-01,female
";
        let (_, summary, _) = run(input, &opts);
        assert_eq!(summary.codes.rows(Field::Sex), 2);
        let hasher = Hasher::salted(SecretSlice::from(Vec::new()));
        let mut rows = HashedRows::open(input.as_bytes(), &opts, hasher).unwrap();
        while rows.next_row().unwrap().is_some() {}
        let warnings = rows.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("2 rows have a sex value"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("the first at row 2"), "{warnings:?}");
    }

    #[test]
    fn screening_skips_rules_that_read_a_placeholder() {
        let mut opts = options(&[Rule::Fldz]);
        opts.rules.push(key("L_D_Z", &["last", "dob", "zip"]));
        let input = "ref,first,last,dob,zip\nA1,Baby Boy,Bee,2020-01-01,32601\nA2,John,Doe,1900-01-01,32601\n";
        let (plain, _, _) = run(input, &opts);
        opts.screen = Some(Placeholders::defaults());
        let (out, summary, problems) = run(input, &opts);
        assert_eq!(
            out,
            format!(
                "ref,F_L_D_Z,L_D_Z\nA1,,{}\nA2,,\n",
                sha("L_D_Z|bee|2020-01-01|32601")
            )
        );
        assert_ne!(out, plain);
        assert!(problems.is_empty(), "placeholders are not row problems");
        assert_eq!(summary.screened.get(Field::First, Screened::Placeholder), 1);
        assert_eq!(
            summary.screened.get(Field::Last, Screened::PlaceholderName),
            1
        );
        assert_eq!(summary.screened.get(Field::Dob, Screened::Placeholder), 1);
    }
}
