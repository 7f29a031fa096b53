//! Race-safe files in the key directory: content is written to a private
//! temporary file, synced, then hard-linked to its final name, which fails
//! if the name exists. A reader therefore sees a whole file or none, and of
//! several processes creating the same name exactly one wins.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

/// Prefix of temporary files; they are never loaded as keys.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Creates `dir` (and parents) if missing; new directories are owner-only.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

/// Writes `content` to `dir/name` with mode 0600 unless that name exists.
/// Returns `Ok(false)` when another writer got there first.
pub fn create_new(dir: &Path, name: &str, content: &[u8]) -> io::Result<bool> {
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{}-{name}",
        uuid::Uuid::new_v4().simple()
    ));
    let result = write_then_link(&temp, &dir.join(name), content);
    let _ = fs::remove_file(&temp);
    result
}

fn write_then_link(temp: &Path, target: &Path, content: &[u8]) -> io::Result<bool> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(temp)?;
    file.write_all(content)?;
    file.sync_all()?;
    drop(file);
    match fs::hard_link(temp, target) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_writer_wins_and_no_temp_files_remain() {
        let dir = tempfile::tempdir().unwrap();
        assert!(create_new(dir.path(), "k", b"one").unwrap());
        assert!(!create_new(dir.path(), "k", b"two").unwrap());
        assert_eq!(fs::read(dir.path().join("k")).unwrap(), b"one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        create_new(dir.path(), "k", b"x").unwrap();
        let mode = fs::metadata(dir.path().join("k"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
