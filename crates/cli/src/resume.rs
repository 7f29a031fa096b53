//! Resuming an interrupted link: the output file is a journal appended and
//! fsynced batch by batch, and a small state file beside it
//! (`<output>.idmap-state`) records what is committed.
//!
//! Commit order for each batch: append the answered `ref,uuid` rows to the
//! output and fsync it, then replace the state file atomically (write a
//! temporary file, fsync, rename, fsync the directory). The state holds the
//! number of input rows done, the output length at that point, the running
//! counts, a fingerprint of the settings (salt fingerprint, rules, options)
//! and a digest chained over every row done (row number, ref, rule codes and
//! hashes; never identifying fields). On restart the output is cut back to
//! the recorded length (dropping rows of a batch whose state was never
//! saved), the first rows of the input are read again and their digest is
//! compared, so a resume with another input, salt or rule set is refused
//! instead of mixing two runs. A kill between the server's answer and the
//! commit makes that batch be sent again, which is safe: the server answers
//! the same UUIDs for refs it already knows (design rule 2).
//!
//! Resume is automatic: the state file exists only while a run is
//! unfinished, and the same command line picks it up. `--restart` discards
//! it. A finished run removes its state file, and an existing output without
//! one is never overwritten unless `--restart` is given.
//!
//! A run that stops before the server accepted anything removes the output
//! and state it created ([`Journal::discard`]): they would hold nothing
//! worth resuming, and after the cause is fixed (a salt, say) the settings
//! differ, so such a state would only block the fixed run. For the same
//! reason a state that records nothing linked (left by a kill) gives way to
//! a run with other settings.

use crate::progress::Counts;
use crate::source::SourceRow;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Version of the state file layout.
const STATE_VERSION: u32 = 1;

/// The output's first line.
pub const OUTPUT_HEADER: &[u8] = b"ref,uuid\n";

/// What the state file records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Layout version.
    pub version: u32,
    /// [`settings_fingerprint`] of the run.
    pub settings: String,
    /// Input data rows done (linked or skipped).
    pub rows_done: u64,
    /// [`RowDigest`] after those rows, hex.
    pub digest: String,
    /// Length of the output file when they were committed.
    pub output_bytes: u64,
    /// Counts so far.
    pub counts: Counts,
}

/// How far a run has got, as each commit records it.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint<'a> {
    /// Input rows done, linked or not.
    pub rows_done: u64,
    /// Their digest.
    pub digest: &'a RowDigest,
    /// Counts so far.
    pub counts: &'a Counts,
}

/// A digest chained over the rows done; identifies the input prefix
/// without storing any of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowDigest([u8; 32]);

impl RowDigest {
    /// Chains `row` into the digest.
    pub fn update(&mut self, row: &SourceRow) {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(row.row().to_le_bytes());
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        match row {
            SourceRow::Item(item) => {
                field(b"item");
                field(item.reference.as_bytes());
                for hash in &item.hashes {
                    field(hash.rule.as_bytes());
                    field(hash.hash.as_bytes());
                }
            }
            SourceRow::Problem { reason, .. } => {
                field(b"problem");
                field(reason.as_bytes());
            }
        }
        self.0 = h.finalize().into();
    }

    /// Lowercase hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Fingerprint of the settings a resumed run must share with the first.
pub fn settings_fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where the state of `output` is kept.
pub fn state_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".idmap-state");
    output.with_file_name(name)
}

/// The output file and its state, open for appending batches.
pub struct Journal {
    output: File,
    output_path: PathBuf,
    state_path: PathBuf,
    state: State,
    /// This run created the output (it did not resume one).
    created: bool,
}

/// Where an opened journal starts.
#[derive(Debug, Clone)]
pub struct Resumed {
    /// Rows already done.
    pub rows_done: u64,
    /// Their digest, to be checked against the input.
    pub digest: String,
    /// Counts so far.
    pub counts: Counts,
}

impl Journal {
    /// Opens the journal for `output`: resumes from its state file, or
    /// starts a new output (refusing to replace one unless `restart`).
    pub fn open(
        output: &Path,
        settings: &str,
        restart: bool,
    ) -> anyhow::Result<(Self, Option<Resumed>)> {
        let state_path = state_path(output);
        if restart {
            remove_if_exists(&state_path)?;
        }
        match read_state(&state_path)? {
            Some(state) => Self::resume(output, state_path, state, settings),
            None => Self::create(output, state_path, settings, restart).map(|j| (j, None)),
        }
    }

    fn resume(
        output: &Path,
        state_path: PathBuf,
        state: State,
        settings: &str,
    ) -> anyhow::Result<(Self, Option<Resumed>)> {
        let restart_hint = format!(
            "to start over, pass --restart (or remove {})",
            state_path.display()
        );
        if state.version != STATE_VERSION {
            bail!(
                "the state file {} has an unknown layout; {restart_hint}",
                state_path.display()
            );
        }
        if state.settings != settings && state.counts.linked == 0 {
            // Nothing of it reached the server: nothing to keep.
            remove_if_exists(&state_path)?;
            return Self::create(output, state_path, settings, true).map(|j| (j, None));
        }
        if state.settings != settings {
            bail!(
                "{} was left by an unfinished run with other settings (salt or key, rules, \
                 or options such as --allow-no-ref); rerun it with the same settings to resume, \
                 or {restart_hint}",
                state_path.display()
            );
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(output)
            .with_context(|| {
                format!(
                    "cannot open {} to resume the run; {restart_hint}",
                    output.display()
                )
            })?;
        let len = file.metadata()?.len();
        if len < state.output_bytes {
            bail!(
                "{} is shorter than its state file says; {restart_hint}",
                output.display()
            );
        }
        // Rows of a batch appended after the last saved state were never
        // confirmed: drop them, the batch is sent again.
        file.set_len(state.output_bytes)
            .with_context(|| format!("cannot truncate {}", output.display()))?;
        file.sync_all()?;
        let mut output_file = file;
        output_file.seek(SeekFrom::End(0))?;
        let resumed = Resumed {
            rows_done: state.rows_done,
            digest: state.digest.clone(),
            counts: state.counts,
        };
        Ok((
            Journal {
                output: output_file,
                output_path: output.to_owned(),
                state_path,
                state,
                created: false,
            },
            Some(resumed),
        ))
    }

    fn create(
        output: &Path,
        state_path: PathBuf,
        settings: &str,
        restart: bool,
    ) -> anyhow::Result<Self> {
        if output.exists() && !restart {
            bail!(
                "{} already exists and no unfinished run is recorded for it (a finished run?); \
                 choose another output file, or pass --restart to replace it",
                output.display()
            );
        }
        let mut file = File::create(output)
            .with_context(|| format!("cannot create the output {}", output.display()))?;
        file.write_all(OUTPUT_HEADER)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write the output {}", output.display()))?;
        let mut journal = Journal {
            output: file,
            output_path: output.to_owned(),
            state_path,
            state: State {
                version: STATE_VERSION,
                settings: settings.to_owned(),
                rows_done: 0,
                digest: RowDigest::default().hex(),
                output_bytes: OUTPUT_HEADER.len() as u64,
                counts: Counts::default(),
            },
            created: true,
        };
        journal.save_state()?;
        Ok(journal)
    }

    /// Appends a batch's output rows and records the rows done, durably.
    pub fn commit(&mut self, bytes: &[u8], at: &Checkpoint) -> anyhow::Result<()> {
        let what = || format!("cannot write the output {}", self.output_path.display());
        self.output.write_all(bytes).with_context(what)?;
        self.output.sync_data().with_context(what)?;
        self.state.rows_done = at.rows_done;
        self.state.digest = at.digest.hex();
        self.state.output_bytes += bytes.len() as u64;
        self.state.counts = *at.counts;
        self.save_state()
    }

    /// Whether this run created the output rather than resuming one.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The output path.
    pub fn output_path(&self) -> &Path {
        &self.output_path
    }

    /// Input rows committed so far.
    pub fn rows_done(&self) -> u64 {
        self.state.rows_done
    }

    /// Removes the output and its state: the run stopped before anything
    /// was worth keeping.
    pub fn discard(self) -> anyhow::Result<()> {
        drop(self.output);
        remove_if_exists(&self.state_path)?;
        remove_if_exists(&self.output_path)?;
        sync_dir(&self.state_path);
        Ok(())
    }

    /// The run is complete: the state file goes, the output stays.
    pub fn finish(self) -> anyhow::Result<()> {
        remove_if_exists(&self.state_path)?;
        sync_dir(&self.state_path);
        Ok(())
    }

    fn save_state(&mut self) -> anyhow::Result<()> {
        let what = || format!("cannot write the state file {}", self.state_path.display());
        let dir = parent_dir(&self.state_path);
        let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(what)?;
        serde_json::to_writer(&mut tmp, &self.state).with_context(what)?;
        tmp.as_file().sync_all().with_context(what)?;
        tmp.persist(&self.state_path).with_context(what)?;
        sync_dir(&self.state_path);
        Ok(())
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename or removal in `path`'s directory durable; best effort
/// (some file systems refuse to sync a directory).
fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(parent_dir(path)) {
        let _ = dir.sync_all();
    }
}

fn read_state(path: &Path) -> anyhow::Result<Option<State>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).with_context(|| {
            format!(
                "the state file {} is damaged; pass --restart to start over",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn remove_if_exists(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::LinkItem;

    fn item(row: u64, reference: &str) -> SourceRow {
        SourceRow::Item(LinkItem {
            row,
            reference: reference.into(),
            hashes: vec![],
            notice: None,
        })
    }

    #[test]
    fn digest_depends_on_every_row_and_its_order() {
        let mut a = RowDigest::default();
        a.update(&item(1, "x"));
        a.update(&item(2, "y"));
        let mut b = RowDigest::default();
        b.update(&item(1, "x"));
        b.update(&item(2, "z"));
        assert_ne!(a, b);
        let mut c = RowDigest::default();
        c.update(&item(1, "x"));
        c.update(&item(2, "y"));
        assert_eq!(a, c);
    }

    #[test]
    fn commit_then_resume_cuts_unconfirmed_rows() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("uuids.csv");
        let (mut j, resumed) = Journal::open(&out, "s1", false).unwrap();
        assert!(resumed.is_none());
        let mut d = RowDigest::default();
        d.update(&item(1, "a"));
        let counts = Counts {
            read: 1,
            linked: 1,
            ..Counts::default()
        };
        let at = Checkpoint {
            rows_done: 1,
            digest: &d,
            counts: &counts,
        };
        j.commit(b"a,u1\n", &at).unwrap();
        drop(j);
        // A batch written but never confirmed by the state file.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&out)
            .unwrap()
            .write_all(b"b,u2\n")
            .unwrap();

        let err = Journal::open(&out, "other", false).err().unwrap();
        assert!(err.to_string().contains("other settings"), "{err}");
        let (j, resumed) = Journal::open(&out, "s1", false).unwrap();
        let resumed = resumed.unwrap();
        assert_eq!(resumed.rows_done, 1);
        assert_eq!(resumed.digest, d.hex());
        assert_eq!(resumed.counts, counts);
        assert_eq!(std::fs::read(&out).unwrap(), b"ref,uuid\na,u1\n");
        j.finish().unwrap();
        assert!(!state_path(&out).exists());

        // A finished output is not replaced by accident.
        let err = Journal::open(&out, "s1", false).err().unwrap();
        assert!(err.to_string().contains("--restart"), "{err}");
        let (_, resumed) = Journal::open(&out, "s1", true).unwrap();
        assert!(resumed.is_none());
        assert_eq!(std::fs::read(&out).unwrap(), OUTPUT_HEADER);
    }

    #[test]
    fn a_state_with_nothing_linked_does_not_block_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("uuids.csv");
        let (mut j, _) = Journal::open(&out, "wrong salt", false).unwrap();
        assert!(j.created());
        let mut d = RowDigest::default();
        d.update(&item(1, "a"));
        let skipped_only = Counts {
            read: 1,
            skipped: 1,
            ..Counts::default()
        };
        let at = Checkpoint {
            rows_done: 1,
            digest: &d,
            counts: &skipped_only,
        };
        j.commit(b"", &at).unwrap();
        drop(j); // killed

        let (j, resumed) = Journal::open(&out, "right salt", false).unwrap();
        assert!(resumed.is_none(), "started afresh");
        assert!(j.created());
        assert_eq!(std::fs::read(&out).unwrap(), OUTPUT_HEADER);
    }

    #[test]
    fn discard_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("uuids.csv");
        let (j, _) = Journal::open(&out, "s1", false).unwrap();
        assert!(state_path(&out).exists());
        j.discard().unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn state_file_sits_beside_the_output() {
        assert_eq!(
            state_path(Path::new("out/uuids.csv")),
            Path::new("out/uuids.csv.idmap-state")
        );
    }
}
