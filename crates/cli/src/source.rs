//! What the linker consumes: input rows already turned into link items (a
//! ref and its rule hashes) or into a problem to report, one at a time.
//!
//! Two sources exist: the output of `idmap hash` read back (`link`) and the
//! hashing pipeline itself (`run`). The linker does not know which, so
//! batching, resume and reporting behave the same for both.

use crate::screen::ScreenCounts;
use idmap_common::wire::RuleHash;

/// A row ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkItem {
    /// Data-row number in the input (1 for the first row after the header).
    pub row: u64,
    /// The partner's reference, trimmed; empty when the row has none.
    pub reference: String,
    /// Hashes in rule priority order (lowercase hex).
    pub hashes: Vec<RuleHash>,
    /// A problem that emptied some of the row's hashes but not all (a birth
    /// date that cannot be read); reported, and the row is still sent.
    pub notice: Option<String>,
}

/// One input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRow {
    /// A row to link (it may still lack hashes or a ref; the linker decides).
    Item(LinkItem),
    /// A row that cannot be linked; `reason` never holds a cell value.
    Problem {
        /// Data-row number.
        row: u64,
        /// What is wrong with it.
        reason: String,
    },
}

impl SourceRow {
    /// The row number.
    pub fn row(&self) -> u64 {
        match self {
            SourceRow::Item(item) => item.row,
            SourceRow::Problem { row, .. } => *row,
        }
    }
}

/// A stream of input rows.
pub trait RowSource {
    /// The next row, or `None` at the end of the input.
    fn next_row(&mut self) -> anyhow::Result<Option<SourceRow>>;

    /// Bytes of input consumed so far (for progress and ETA).
    fn position(&self) -> u64;

    /// Fields not used so far, per field and reason, when the source
    /// hashes (a hash file read back has none).
    fn screened(&self) -> Option<&ScreenCounts> {
        None
    }

    /// Warnings about what the rows read so far held (sex or race values
    /// outside the expected codes), printed once at the end of the run.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}
