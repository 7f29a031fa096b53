//! Streaming CSV/TSV input: delimiter detection, BOM, column mapping, and
//! one row at a time, so memory stays constant however large the file.
//!
//! Partners export from many systems, so the delimiter is read from the
//! header line unless given, a UTF-8 byte order mark is dropped, header names
//! match case-insensitively (with common aliases), short rows count their
//! missing trailing fields as empty, and blank lines are skipped. Errors name
//! rows and columns, never cell values, because the cells are PHI.

use crate::rules::Field;
use std::io::{BufRead, Chain, Cursor, Read};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Delimiters tried by detection, in order of preference on a tie.
const CANDIDATES: [u8; 4] = [b'\t', b',', b';', b'|'];

/// Header names tried, in order, when the operator did not map a column.
pub fn default_aliases(column: Column) -> &'static [&'static str] {
    match column {
        Column::Ref => &["ref", "patid", "patient_id", "mrn", "id"],
        Column::Field(Field::First) => &["first", "first_name", "firstname", "given_name"],
        Column::Field(Field::Last) => &["last", "last_name", "lastname", "family_name", "surname"],
        Column::Field(Field::Dob) => &["dob", "birth_date", "date_of_birth", "birthdate"],
        Column::Field(Field::Sex) => &["sex", "gender"],
        Column::Field(Field::Race) => &["race"],
        Column::Field(Field::Zip) => &["zip", "zipcode", "zip_code", "postal_code"],
        Column::Field(Field::City) => &["city"],
    }
}

/// A column the hasher reads: the partner's reference or an identifying field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The partner's own patient identifier, copied to the output.
    Ref,
    /// An identifying field used by a rule.
    Field(Field),
}

impl Column {
    /// Name used in options, the config file and messages.
    pub fn name(self) -> &'static str {
        match self {
            Column::Ref => "ref",
            Column::Field(f) => f.name(),
        }
    }
}

/// Fatal input problems; they stop the run.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading failed (I/O or malformed quoting).
    #[error("cannot read the input: {0}")]
    Read(String),
    /// The input has no header line.
    #[error("the input is empty (no header line)")]
    Empty,
    /// No candidate delimiter occurs in the header line.
    #[error("cannot detect the delimiter from the header line; pass --delimiter")]
    NoDelimiter,
    /// NUL bytes in the header line: UTF-16 that came without the first
    /// bytes that tell it (a pipe that delivered too little at once).
    #[error(
        "the header line holds NUL bytes: the input looks like UTF-16 (a spreadsheet's \
         \"Unicode text\"); give it as a file, or convert it: iconv -f UTF-16 -t UTF-8 IN > OUT"
    )]
    LooksLikeUtf16,
    /// The header line is not UTF-8.
    #[error(
        "the header line is not valid UTF-8; if the export is in a Windows or Latin-1 \
         encoding, convert it: iconv -f WINDOWS-1252 -t UTF-8 IN > OUT"
    )]
    HeaderNotUtf8,
    /// A needed column is absent.
    #[error(
        "no column for {column} in the header (looked for {looked_for}); map it with --column {column}=NAME"
    )]
    MissingColumn {
        /// The column's role.
        column: &'static str,
        /// The header names tried.
        looked_for: String,
    },
    /// The header names a column twice, so which one to use is a guess.
    #[error("the header has column {name:?} more than once")]
    DuplicateColumn {
        /// The repeated header name (a header name, not PHI).
        name: String,
    },
}

impl From<csv::Error> for InputError {
    fn from(err: csv::Error) -> Self {
        // csv errors carry positions and causes, not cell contents.
        InputError::Read(err.to_string())
    }
}

/// Picks the delimiter that occurs most often in the header line.
pub fn detect_delimiter(header_line: &[u8]) -> Option<u8> {
    let mut best: Option<(u8, usize)> = None;
    for candidate in CANDIDATES {
        let count = header_line.iter().filter(|&&b| b == candidate).count();
        if count > 0 && best.is_none_or(|(_, n)| count > n) {
            best = Some((candidate, count));
        }
    }
    best.map(|(b, _)| b)
}

/// Header names the operator chose; `None` means "try the aliases".
#[derive(Debug, Clone, Default)]
pub struct ColumnNames {
    /// Header of the reference column.
    pub reference: Option<String>,
    /// Headers of the identifying fields, indexed like `Field::ALL`.
    pub fields: [Option<String>; 7],
}

impl ColumnNames {
    /// The operator's name for `column`, if any.
    pub fn get(&self, column: Column) -> Option<&str> {
        match column {
            Column::Ref => self.reference.as_deref(),
            Column::Field(f) => self.fields[f.index()].as_deref(),
        }
    }

    /// Sets the operator's name for `column`.
    pub fn set(&mut self, column: Column, name: String) {
        match column {
            Column::Ref => self.reference = Some(name),
            Column::Field(f) => self.fields[f.index()] = Some(name),
        }
    }
}

/// Positions of the reference and of each needed field in a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    reference: usize,
    fields: [Option<usize>; 7],
}

impl ColumnMap {
    /// Finds every needed column in `headers` (trimmed, case-insensitive).
    pub fn resolve(
        headers: &[&str],
        names: &ColumnNames,
        needed: &[Field],
    ) -> Result<Self, InputError> {
        let reference = find_column(headers, names, Column::Ref)?;
        let mut fields = [None; 7];
        for &field in needed {
            fields[field.index()] = Some(find_column(headers, names, Column::Field(field))?);
        }
        Ok(ColumnMap { reference, fields })
    }
}

fn find_column(headers: &[&str], names: &ColumnNames, column: Column) -> Result<usize, InputError> {
    let wanted: Vec<&str> = match names.get(column) {
        Some(name) => vec![name],
        None => default_aliases(column).to_vec(),
    };
    for name in &wanted {
        let mut hits = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name.trim()));
        if let Some((index, header)) = hits.next() {
            if hits.next().is_some() {
                return Err(InputError::DuplicateColumn {
                    name: header.trim().to_owned(),
                });
            }
            return Ok(index);
        }
    }
    Err(InputError::MissingColumn {
        column: column.name(),
        looked_for: wanted.join(", "),
    })
}

/// Reads the next record holding more than white space into `record`;
/// `false` at the end of the input. Both the input and hash-file readers
/// skip blank lines this way, so their row numbers agree.
pub fn read_non_blank<R: Read>(
    csv: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
) -> csv::Result<bool> {
    while csv.read_byte_record(record)? {
        if !record
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Streams rows from a CSV/TSV source.
pub struct RowReader<R: BufRead> {
    csv: csv::Reader<Chain<Cursor<Vec<u8>>, R>>,
    headers: Vec<String>,
    delimiter: u8,
    record: csv::ByteRecord,
}

/// Problems confined to one row: the row is reported and the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// A needed cell is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUtf8(&'static str),
    /// The date of birth cannot be read.
    #[error("dob: {0}")]
    Date(#[from] crate::normalize::DateError),
}

/// One data row, borrowed from the reader until the next call.
///
/// It carries no line number: the CSV parser misreports lines after blank
/// lines, so problems are reported by data-row number instead.
#[derive(Debug)]
pub struct Row<'a> {
    record: &'a csv::ByteRecord,
    map: &'a ColumnMap,
}

impl<'a> Row<'a> {
    /// The reference cell, trimmed; invalid UTF-8 is replaced so the row can
    /// still be located in the output.
    pub fn reference(&self) -> std::borrow::Cow<'a, str> {
        let bytes = self.record.get(self.map.reference).unwrap_or(b"");
        match String::from_utf8_lossy(bytes) {
            std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim()),
            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.trim().to_owned()),
        }
    }

    /// A needed field's raw text; absent (missing trailing field or column
    /// not needed) is `None`.
    pub fn field(&self, field: Field) -> Result<Option<&'a str>, RowError> {
        let Some(index) = self.map.fields[field.index()] else {
            return Ok(None);
        };
        match self.record.get(index) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| RowError::NotUtf8(field.name())),
        }
    }
}

impl<R: BufRead> RowReader<R> {
    /// Reads the header line (detecting the delimiter unless `delimiter` is
    /// given) and prepares to stream the rows.
    pub fn open(mut source: R, delimiter: Option<u8>) -> Result<Self, InputError> {
        // Read up to the first non-blank line ourselves, to drop the BOM and
        // see the header; those bytes are then replayed to the CSV parser,
        // which reads the header and the rest of the stream.
        let mut prefix = Vec::new();
        let header_start = loop {
            let start = prefix.len();
            let n = source
                .read_until(b'\n', &mut prefix)
                .map_err(|e| InputError::Read(e.to_string()))?;
            if start == 0 && prefix.starts_with(BOM) {
                prefix.drain(..BOM.len());
            }
            if n == 0 {
                return Err(InputError::Empty);
            }
            if !prefix[start..].iter().all(u8::is_ascii_whitespace) {
                break start;
            }
        };
        if prefix[header_start..].contains(&0) {
            return Err(InputError::LooksLikeUtf16);
        }
        let delimiter = match delimiter {
            Some(d) => d,
            None => detect_delimiter(&prefix[header_start..]).ok_or(InputError::NoDelimiter)?,
        };
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(Cursor::new(prefix).chain(source));
        let headers = csv
            .byte_headers()?
            .iter()
            .map(|h| std::str::from_utf8(h).map(|s| s.trim().to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| InputError::HeaderNotUtf8)?;
        Ok(RowReader {
            csv,
            headers,
            delimiter,
            record: csv::ByteRecord::new(),
        })
    }

    /// The header names, trimmed.
    pub fn headers(&self) -> Vec<&str> {
        self.headers.iter().map(String::as_str).collect()
    }

    /// The delimiter in use (given or detected).
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Bytes of input consumed so far (for progress).
    pub fn position(&self) -> u64 {
        self.csv.position().byte()
    }

    /// The next non-blank row, or `None` at the end of the input.
    pub fn next_row<'a>(&'a mut self, map: &'a ColumnMap) -> Result<Option<Row<'a>>, InputError> {
        if !read_non_blank(&mut self.csv, &mut self.record)? {
            return Ok(None);
        }
        Ok(Some(Row {
            record: &self.record,
            map,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_the_most_frequent_candidate() {
        assert_eq!(detect_delimiter(b"a\tb\tc\n"), Some(b'\t'));
        assert_eq!(detect_delimiter(b"a,b,c\n"), Some(b','));
        assert_eq!(detect_delimiter(b"a;b;c,d\n"), Some(b';'));
        assert_eq!(detect_delimiter(b"a|b|c\n"), Some(b'|'));
        assert_eq!(
            detect_delimiter(b"first name\tlast, name\tdob\n"),
            Some(b'\t')
        );
        assert_eq!(detect_delimiter(b"abc\n"), None);
    }

    #[test]
    fn columns_match_aliases_case_insensitively() {
        let headers = ["PATID", " First_Name ", "LAST", "Birth_Date", "sex"];
        let map = ColumnMap::resolve(
            &headers,
            &ColumnNames::default(),
            &[Field::First, Field::Last, Field::Dob, Field::Sex],
        )
        .unwrap();
        assert_eq!(map.reference, 0);
        assert_eq!(map.fields[Field::First.index()], Some(1));
        assert_eq!(map.fields[Field::Dob.index()], Some(3));
        assert_eq!(map.fields[Field::Zip.index()], None);
    }

    #[test]
    fn explicit_names_replace_the_aliases() {
        let mut names = ColumnNames::default();
        names.set(Column::Ref, "patid2".into());
        names.set(Column::Field(Field::First), "given".into());
        let map =
            ColumnMap::resolve(&["first", "given", "patid2"], &names, &[Field::First]).unwrap();
        assert_eq!(map.reference, 2);
        assert_eq!(map.fields[Field::First.index()], Some(1));
        let err = ColumnMap::resolve(&["first", "patid2"], &names, &[Field::First]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no column for first in the header (looked for given); map it with --column first=NAME"
        );
    }

    #[test]
    fn duplicate_headers_are_refused() {
        let err = ColumnMap::resolve(
            &["ref", "dob", "DOB"],
            &ColumnNames::default(),
            &[Field::Dob],
        )
        .unwrap_err();
        assert!(matches!(err, InputError::DuplicateColumn { .. }), "{err}");
    }

    #[test]
    fn reader_drops_bom_and_keeps_short_rows() {
        let data = b"\xEF\xBB\xBFref,first,last\r\n\r\nA1,Aly\r\n";
        let mut reader = RowReader::open(&data[..], None).unwrap();
        assert_eq!(reader.headers(), ["ref", "first", "last"]);
        assert_eq!(reader.delimiter(), b',');
        let map = ColumnMap::resolve(
            &reader.headers(),
            &ColumnNames::default(),
            &[Field::First, Field::Last],
        )
        .unwrap();
        let row = reader.next_row(&map).unwrap().unwrap();
        assert_eq!(row.reference(), "A1");
        assert_eq!(row.field(Field::First), Ok(Some("Aly")));
        assert_eq!(row.field(Field::Last), Ok(None));
        assert!(reader.next_row(&map).unwrap().is_none());
    }

    #[test]
    fn empty_input_and_undetectable_delimiter_are_fatal() {
        assert!(matches!(
            RowReader::open(&b""[..], None),
            Err(InputError::Empty)
        ));
        assert!(matches!(
            RowReader::open(&b"\n \n"[..], None),
            Err(InputError::Empty)
        ));
        assert!(matches!(
            RowReader::open(&b"ref\nA1\n"[..], None),
            Err(InputError::NoDelimiter)
        ));
        assert!(RowReader::open(&b"ref\nA1\n"[..], Some(b',')).is_ok());
        assert!(matches!(
            RowReader::open(&b"r\0e\0f\0,\0f\0\n\0"[..], None),
            Err(InputError::LooksLikeUtf16)
        ));
    }
}
