//! Reads the output of `idmap hash` back for `idmap link`: a `ref` column
//! then one column per rule, named by its code; empty cells are rules that
//! were skipped for that row.
//!
//! The delimiter is detected from the header line as for `hash` input. A
//! cell that is not 64 hex characters makes its row a problem (reported by
//! row number and column, never by value), so one damaged line does not stop
//! a night's run. Row numbers match those of `hash`: row N is line N + 1.

use crate::input::{detect_delimiter, read_non_blank};
use crate::source::{LinkItem, RowSource, SourceRow};
use anyhow::{Context, bail};
use idmap_common::Sha256Hash;
use idmap_common::wire::RuleHash;
use std::io::BufRead;

/// Streams a hash file.
pub struct HashFileReader<R: BufRead> {
    csv: csv::Reader<R>,
    rules: Vec<String>,
    record: csv::ByteRecord,
    row: u64,
}

/// Whether `name` looks like a rule code (`F_L_D_S`, or one an admin
/// registered): uppercase letters, digits, `_` and `-`.
fn is_rule_code(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl<R: BufRead> HashFileReader<R> {
    /// Reads the header and checks that it is `ref` plus rule codes.
    pub fn open(mut input: R) -> anyhow::Result<Self> {
        let buffered = input.fill_buf().context("cannot read the input")?;
        let first_line = buffered.split(|&b| b == b'\n').next().unwrap_or_default();
        let first_line = first_line
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(first_line);
        // A file with a single rule column and no delimiter in the header
        // cannot exist: the header always has `ref` and at least one rule.
        let delimiter = detect_delimiter(first_line).unwrap_or(b',');
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(input);
        let headers: Vec<String> = csv
            .byte_headers()
            .context("cannot read the header line")?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_owned()
            })
            .collect();
        let Some((first, rules)) = headers.split_first() else {
            bail!("the input is empty (no header line)");
        };
        if !first.eq_ignore_ascii_case("ref") {
            bail!(
                "the first column must be `ref` (the output of `idmap hash`), found {first:?}; \
                 to hash and link a file of identifying fields use `idmap run`"
            );
        }
        if rules.is_empty() {
            bail!("the header has no rule column after `ref`");
        }
        if let Some(bad) = rules.iter().find(|r| !is_rule_code(r)) {
            bail!("column {bad:?} is not a rule code (such as F_L_D_S)");
        }
        for (i, rule) in rules.iter().enumerate() {
            if rules[..i].contains(rule) {
                bail!("rule column {rule} appears twice");
            }
        }
        Ok(HashFileReader {
            csv,
            rules: rules.to_vec(),
            record: csv::ByteRecord::new(),
            row: 0,
        })
    }

    /// The rule codes of the header, in column order.
    pub fn rules(&self) -> &[String] {
        &self.rules
    }

    fn parse_record(&self) -> SourceRow {
        let row = self.row;
        let problem = |reason: String| SourceRow::Problem { row, reason };
        if self.record.len() > self.rules.len() + 1 {
            return problem(format!(
                "{} cells where the header has {}",
                self.record.len(),
                self.rules.len() + 1
            ));
        }
        let reference = match std::str::from_utf8(self.record.get(0).unwrap_or_default()) {
            Ok(r) => r.trim().to_owned(),
            Err(_) => return problem("ref is not valid UTF-8".into()),
        };
        let mut hashes = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            let cell = self.record.get(i + 1).unwrap_or_default();
            let Ok(cell) = std::str::from_utf8(cell) else {
                return problem(format!("{rule} is not valid UTF-8"));
            };
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match Sha256Hash::parse(cell) {
                Ok(hash) => hashes.push(RuleHash {
                    rule: rule.clone(),
                    hash: hash.to_hex(),
                }),
                Err(_) => return problem(format!("{rule} is not a hash of 64 hex characters")),
            }
        }
        SourceRow::Item(LinkItem {
            row,
            reference,
            hashes,
            notice: None,
        })
    }
}

impl<R: BufRead> RowSource for HashFileReader<R> {
    fn next_row(&mut self) -> anyhow::Result<Option<SourceRow>> {
        let more = read_non_blank(&mut self.csv, &mut self.record)
            .map_err(|e| anyhow::anyhow!("cannot read the input: {e}"))?;
        if !more {
            return Ok(None);
        }
        self.row += 1;
        Ok(Some(self.parse_record()))
    }

    fn position(&self) -> u64 {
        self.csv.position().byte()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "816b9550a3dbebc32022c713de9ab238c6df1b3d71fdd4621e92d8ac94e2654f";

    fn rows(input: &str) -> Vec<SourceRow> {
        let mut r = HashFileReader::open(input.as_bytes()).unwrap();
        let mut out = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            out.push(row);
        }
        out
    }

    #[test]
    fn reads_refs_and_hashes_skipping_empty_cells() {
        let upper = H1.to_uppercase();
        let got = rows(&format!(
            "\u{feff}ref\tF_L_D_S\tF_L_D_R\nA1\t{H1}\t\n\nA2\t\t{upper}\n,\n"
        ));
        assert_eq!(got.len(), 3);
        let SourceRow::Item(a1) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(a1.reference, "A1");
        assert_eq!(a1.hashes.len(), 1);
        assert_eq!(a1.hashes[0].rule, "F_L_D_S");
        let SourceRow::Item(a2) = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!((a2.row, a2.hashes[0].rule.as_str()), (2, "F_L_D_R"));
        assert_eq!(a2.hashes[0].hash, H1, "hashes are sent lowercase");
        let SourceRow::Item(empty) = &got[2] else {
            panic!("{got:?}")
        };
        assert!(empty.hashes.is_empty());
    }

    #[test]
    fn bad_cells_are_row_problems_without_values() {
        let got = rows(&format!(
            "ref,F_L_D_S\nA1,{H1}\nA2,zz{}\nA3,{H1},extra\n",
            &H1[2..]
        ));
        assert!(matches!(got[0], SourceRow::Item(_)));
        assert_eq!(
            got[1],
            SourceRow::Problem {
                row: 2,
                reason: "F_L_D_S is not a hash of 64 hex characters".into()
            }
        );
        assert!(matches!(&got[2], SourceRow::Problem { row: 3, .. }));
        let SourceRow::Problem { reason, .. } = &got[1] else {
            unreachable!()
        };
        assert!(!reason.contains(&H1[2..]));
    }

    #[test]
    fn header_must_be_ref_and_rules() {
        for bad in [
            "",
            "first,last\nA,B\n",
            "ref\nA1\n",
            "ref,f_l_d_s\n",
            "ref,F_L_D_S,F_L_D_S\n",
        ] {
            assert!(HashFileReader::open(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let r = HashFileReader::open("REF;F_L_D_Z;X_9;L-D-Z\n".as_bytes()).unwrap();
        assert_eq!(r.rules(), ["F_L_D_Z", "X_9", "L-D-Z"]);
    }
}
