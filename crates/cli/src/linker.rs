//! The link loop shared by `idmap link` and `idmap run`: rows in, batches of
//! at most `batch_size` patients out, `ref,uuid` rows committed to the output
//! after each answer.
//!
//! Memory stays bounded by one batch whatever the input size. Rows that
//! cannot be linked (no hash, no ref, a bad cell) are reported by row number
//! and counted, never sent. A row without a ref is refused unless the
//! operator allows it, because the ref is what makes resending a batch
//! harmless: the server answers the same UUID for a ref it already knows,
//! while a ref-less patient whose hashes are all ambiguous gets a new UUID
//! each time (design rule 5).

use crate::client::api::LinkApi;
use crate::exit::{Outcome, ResumeRefused};
use crate::progress::{Counts, Progress};
use crate::resume::{Checkpoint, Journal, Resumed, RowDigest};
use crate::source::{LinkItem, RowSource, SourceRow};
use anyhow::Context;
use idmap_common::ids::PatientRef;
use idmap_common::wire::{LinkPatient, LinkRequest};
use std::io::Write;

/// How many bad rows are listed one by one before only counting them.
const MAX_LISTED_PROBLEMS: u64 = 100;

/// Exit status of the test-only abrupt exit (`--test-exit-after-batches`).
pub const TEST_EXIT_CODE: i32 = 86;

/// Batching and policy.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// Patients per request.
    pub batch_size: usize,
    /// Send rows without a ref (not idempotent on resend).
    pub allow_no_ref: bool,
    /// Sent with every request.
    pub salt_fingerprint: String,
    /// Test hook: after this many committed batches, send the next one and
    /// exit abruptly before writing its answer.
    pub exit_after_batches: Option<u64>,
}

/// Where answered rows go.
pub enum Sink {
    /// An output file with its resume state.
    Journal(Journal),
    /// Standard output (no resume).
    Stream(Box<dyn Write>),
}

impl Sink {
    fn commit(&mut self, bytes: &[u8], at: &Checkpoint) -> anyhow::Result<()> {
        match self {
            Sink::Journal(journal) => journal.commit(bytes, at),
            Sink::Stream(out) => out
                .write_all(bytes)
                .and_then(|()| out.flush())
                .context("cannot write the output"),
        }
    }

    /// Ends a complete run.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Journal(journal) => journal.finish(),
            Sink::Stream(mut out) => out.flush().context("cannot write the output"),
        }
    }
}

/// Why a row is not sent, or `None` when it may be.
fn refusal(item: &LinkItem, allow_no_ref: bool) -> Option<String> {
    if item.hashes.is_empty() {
        // A hash file keeps no trace of why; `idmap run` names the fields.
        return Some(
            "no hash: every rule's cell is empty (when the row was hashed, each rule read a \
             field that was empty, an unknown code or a placeholder)"
                .into(),
        );
    }
    if item.reference.is_empty() {
        if allow_no_ref {
            return None;
        }
        return Some(
            "no ref: a ref is what makes a resent batch safe (the server answers the same UUID \
             for a ref it knows); pass --allow-no-ref to send rows without one"
                .into(),
        );
    }
    PatientRef::parse(&item.reference)
        .err()
        .map(|e| format!("ref: {e}"))
}

/// Runs the loop to the end of `source`, or to the first fatal failure
/// (returned as the error, with `counts` holding what was committed: a
/// batch the server did not accept counts nowhere).
pub async fn link_rows(
    source: &mut dyn RowSource,
    api: &mut LinkApi,
    sink: &mut Sink,
    settings: &LinkSettings,
    progress: &mut Progress,
    resumed: Option<Resumed>,
    counts: &mut Counts,
) -> anyhow::Result<Outcome> {
    let log = progress.log().clone();
    let mut digest = RowDigest::default();
    let mut rows_done = 0u64;
    if let Some(resumed) = resumed {
        skip_done_rows(source, &mut digest, &resumed)?;
        rows_done = resumed.rows_done;
        *counts = resumed.counts;
        log.info(&format!(
            "resuming after row {rows_done} ({} rows already linked)",
            counts.linked
        ));
    }
    progress.begin(source.position(), rows_done);
    let retries_before = counts.retries;
    let mut listed = 0u64;
    let mut report = |row: u64, reason: &str, sent: bool| {
        listed += 1;
        let what = if sent { "" } else { "; not sent" };
        if listed <= MAX_LISTED_PROBLEMS {
            log.info(&format!("row {row}: {reason}{what}"));
        } else if listed == MAX_LISTED_PROBLEMS + 1 {
            log.info("further bad rows are counted but not listed");
        }
    };

    let mut batches = 0u64;
    loop {
        let mut batch: Vec<LinkItem> = Vec::with_capacity(settings.batch_size.min(1024));
        let mut rows_in_batch = 0u64;
        let mut skipped_in_batch = 0u64;
        let mut at_end = false;
        while batch.len() < settings.batch_size {
            let Some(row) = source.next_row()? else {
                at_end = true;
                break;
            };
            digest.update(&row);
            rows_in_batch += 1;
            match row {
                SourceRow::Problem { row, reason } => {
                    skipped_in_batch += 1;
                    report(row, &reason, false);
                }
                SourceRow::Item(item) => match refusal(&item, settings.allow_no_ref) {
                    Some(reason) => {
                        skipped_in_batch += 1;
                        report(item.row, &reason, false);
                    }
                    None => {
                        if let Some(notice) = &item.notice {
                            report(item.row, notice, true);
                        }
                        batch.push(item);
                    }
                },
            }
        }
        if rows_in_batch == 0 {
            break;
        }
        let mut out = Vec::new();
        let mut linked_in_batch = 0u64;
        if !batch.is_empty() {
            let first = batch.first().map_or(0, |i| i.row);
            let last = batch.last().map_or(0, |i| i.row);
            let rows: Vec<u64> = batch.iter().map(|i| i.row).collect();
            let mut refs = Vec::with_capacity(batch.len());
            let patients = batch
                .into_iter()
                .map(|item| {
                    refs.push(item.reference.clone());
                    LinkPatient {
                        patient_ref: (!item.reference.is_empty()).then_some(item.reference),
                        hashes: item.hashes,
                    }
                })
                .collect();
            let request = LinkRequest {
                patients,
                salt_fingerprint: Some(settings.salt_fingerprint.clone()),
            };
            if log.verbose() {
                log.debug(&format!(
                    "sending rows {first}-{last}: {}",
                    serde_json::to_string(&request).unwrap_or_default()
                ));
            }
            let answer = api
                .link(&request, |i| rows.get(i).copied())
                .await
                .with_context(|| format!("linking rows {first} to {last}"));
            counts.retries = retries_before + api.retries();
            let results = answer?;
            if settings.exit_after_batches == Some(batches) {
                // Test hook: die between the answer and its commit.
                std::process::exit(TEST_EXIT_CODE);
            }
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut out);
            for (reference, result) in refs.iter().zip(&results) {
                writer
                    .write_record([reference.as_str(), &result.uuid.hyphenated()])
                    .context("cannot format the output")?;
            }
            writer.flush().context("cannot format the output")?;
            drop(writer);
            linked_in_batch = results.len() as u64;
        }
        rows_done += rows_in_batch;
        counts.read += rows_in_batch;
        counts.linked += linked_in_batch;
        counts.skipped += skipped_in_batch;
        batches += 1;
        let at = Checkpoint {
            rows_done,
            digest: &digest,
            counts,
        };
        sink.commit(&out, &at)?;
        progress.update(counts, source.position());
        if at_end {
            break;
        }
    }
    Ok(if counts.skipped > 0 {
        Outcome::RowsSkipped
    } else {
        Outcome::Complete
    })
}

/// Reads the rows an interrupted run finished, checking they are the same.
fn skip_done_rows(
    source: &mut dyn RowSource,
    digest: &mut RowDigest,
    resumed: &Resumed,
) -> anyhow::Result<()> {
    let hint = "pass --restart to start over with this input";
    for done in 0..resumed.rows_done {
        match source.next_row()? {
            Some(row) => digest.update(&row),
            None => {
                return Err(ResumeRefused(format!(
                    "the input has {done} rows, but the unfinished run had done {}: it is not \
                     the same input; {hint}",
                    resumed.rows_done
                ))
                .into());
            }
        }
    }
    if digest.hex() != resumed.digest {
        return Err(ResumeRefused(format!(
            "the first {} rows of the input differ from those of the unfinished run (another \
             input file, salt, key or rule set?); {hint}",
            resumed.rows_done
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use idmap_common::wire::RuleHash;

    fn item(reference: &str, hashes: usize) -> LinkItem {
        LinkItem {
            row: 1,
            reference: reference.into(),
            hashes: (0..hashes)
                .map(|_| RuleHash {
                    rule: "F_L_D_S".into(),
                    hash: "0".repeat(64),
                })
                .collect(),
            notice: None,
        }
    }

    #[test]
    fn rows_need_a_hash_and_a_valid_ref() {
        assert_eq!(refusal(&item("A1", 1), false), None);
        assert!(refusal(&item("A1", 0), false).unwrap().contains("no hash"));
        assert!(
            refusal(&item("", 1), false)
                .unwrap()
                .contains("--allow-no-ref")
        );
        assert_eq!(refusal(&item("", 1), true), None);
        assert!(refusal(&item(&"x".repeat(129), 1), false).is_some());
        assert!(refusal(&item("a\tb", 1), false).is_some());
    }
}
