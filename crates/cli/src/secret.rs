//! Where the network secret comes from, and the checks it must pass before
//! anything is hashed.
//!
//! The secret is read from a file or an environment variable, never from the
//! command line (where `ps` and shell history would show it). A salt or key
//! shorter than 16 bytes is refused: with a short salt the hashes of common
//! names and birth dates can be brute-forced. The only exception is the
//! empty salt some older networks used, and only when the operator names it
//! with `--legacy-no-salt`. Error messages name files and variables, never
//! the secret itself.
//!
//! Variables read here: the salt variable (`IDMAP_SALT` unless
//! `--salt-env` names another one). `IDMAP_SALT_FILE` and
//! `IDMAP_HMAC_KEY_FILE` are read by the argument parser as paths.

use crate::hasher::Hasher;
use secrecy::SecretSlice;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Shortest salt or HMAC key accepted outside the legacy no-salt mode.
pub const MIN_SECRET_LEN: usize = 16;

/// The environment variable holding the salt when none is named.
pub const DEFAULT_SALT_ENV: &str = "IDMAP_SALT";

/// Where the operator said the secret is.
#[derive(Debug, Clone, Default)]
pub struct SecretSources {
    /// A file holding the salt (raw bytes; one trailing newline ignored).
    pub salt_file: Option<PathBuf>,
    /// Name of the environment variable holding the salt.
    pub salt_env: Option<String>,
    /// A file holding the HMAC key in hex (one trailing newline ignored).
    pub hmac_key_file: Option<PathBuf>,
    /// Hash with the empty salt, as the older networks that had none did.
    pub legacy_no_salt: bool,
}

/// Why no usable secret could be set up; never contains the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Neither a salt nor a key was configured.
    #[error(
        "no salt configured: set {DEFAULT_SALT_ENV}, or pass --salt-file or --hmac-key-file \
         (or --legacy-no-salt for a network that hashed without a salt)"
    )]
    Missing,
    /// Two sources were configured; picking one silently could use the
    /// wrong secret, which would give every patient a new UUID.
    #[error("{0} and {1} are both configured; keep only one")]
    Conflict(String, String),
    /// The salt or key is too short to resist brute force.
    #[error(
        "the {what} from {source_name} is {len} bytes; at least {MIN_SECRET_LEN} are required{hint}"
    )]
    TooShort {
        /// "salt" or "HMAC key".
        what: &'static str,
        /// The file or variable it came from.
        source_name: String,
        /// Its length in bytes.
        len: usize,
        /// How to proceed for an empty salt.
        hint: &'static str,
    },
    /// The key file is not hex.
    #[error("the HMAC key file {0} does not hold a hex string")]
    NotHex(String),
    /// The file could not be read (the cause follows in the error chain).
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl SecretSources {
    /// Warnings about secret files that others than their owner can read.
    pub fn warnings(&self) -> Vec<String> {
        [
            ("salt file", &self.salt_file),
            ("HMAC key file", &self.hmac_key_file),
        ]
        .into_iter()
        .filter_map(|(what, path)| loose_permissions(what, path.as_deref()?))
        .collect()
    }
}

/// A warning when the group or others have any access to the secret file
/// at `path`: anyone who can read the salt and the hash output can test
/// guesses of names and birth dates against it.
pub fn loose_permissions(what: &str, path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "warning: the {what} {} is open to its group or others (mode {mode:03o}); \
                 restrict it to its owner: chmod 600 {}",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (what, path);
        None
    }
}

/// Builds the hasher from the configured secret.
///
/// `env` looks up a variable; it is a parameter so tests need not touch the
/// process environment.
pub fn load_hasher(
    sources: &SecretSources,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Hasher, SecretError> {
    let env_name = sources.salt_env.as_deref().unwrap_or(DEFAULT_SALT_ENV);
    let env_value = env(env_name);
    let env_label = || format!("environment variable {env_name}");

    if let Some(key_file) = &sources.hmac_key_file {
        let key_label = format!("--hmac-key-file {}", key_file.display());
        if let Some(salt_file) = &sources.salt_file {
            return Err(SecretError::Conflict(
                key_label,
                format!("--salt-file {}", salt_file.display()),
            ));
        }
        if env_value.is_some() {
            return Err(SecretError::Conflict(key_label, env_label()));
        }
        if sources.legacy_no_salt {
            return Err(SecretError::Conflict(key_label, "--legacy-no-salt".into()));
        }
        let key = parse_hex_key(&read_secret_file(key_file)?)
            .ok_or_else(|| SecretError::NotHex(key_file.display().to_string()))?;
        check_length("HMAC key", &key_label, key.len(), false)?;
        return Ok(Hasher::hmac(SecretSlice::from(key)));
    }

    let (salt, label) = match (&sources.salt_file, env_value) {
        (Some(file), Some(_)) => {
            return Err(SecretError::Conflict(
                format!("--salt-file {}", file.display()),
                env_label(),
            ));
        }
        (Some(file), None) => (
            read_secret_file(file)?,
            format!("--salt-file {}", file.display()),
        ),
        (None, Some(value)) => (value.into_encoded_bytes(), env_label()),
        (None, None) if sources.legacy_no_salt => (Vec::new(), "--legacy-no-salt".into()),
        (None, None) => return Err(SecretError::Missing),
    };
    if sources.legacy_no_salt && !salt.is_empty() {
        return Err(SecretError::Conflict("--legacy-no-salt".into(), label));
    }
    if !sources.legacy_no_salt {
        check_length("salt", &label, salt.len(), true)?;
    }
    Ok(Hasher::salted(SecretSlice::from(salt)))
}

fn check_length(
    what: &'static str,
    source_name: &str,
    len: usize,
    salt: bool,
) -> Result<(), SecretError> {
    if len >= MIN_SECRET_LEN {
        return Ok(());
    }
    Err(SecretError::TooShort {
        what,
        source_name: source_name.to_owned(),
        len,
        hint: if salt && len == 0 {
            " (pass --legacy-no-salt only if the network really hashed without a salt)"
        } else {
            ""
        },
    })
}

/// Reads a secret file and drops one trailing newline (`\n` or `\r\n`),
/// which editors and `echo` add but the secret never contained.
pub fn read_secret_file(path: &Path) -> Result<Vec<u8>, SecretError> {
    let bytes = std::fs::read(path).map_err(|source| SecretError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok(strip_trailing_newline(bytes))
}

/// Drops one trailing `\n` or `\r\n`.
pub fn strip_trailing_newline(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    bytes
}

/// Decodes a hex key (either case); `None` when it is not hex.
pub fn parse_hex_key(text: &[u8]) -> Option<Vec<u8>> {
    hex::decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    fn file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(contents).unwrap();
        f
    }

    const SALT: &[u8] = b"5ce3c76fae7161e7d45a5c96fb6a2b21";

    #[cfg(unix)]
    #[test]
    fn secret_files_open_to_others_are_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let f = file(SALT);
        let set = |mode| {
            std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap()
        };
        let sources = SecretSources {
            salt_file: Some(f.path().into()),
            ..Default::default()
        };
        set(0o600);
        assert!(sources.warnings().is_empty());
        set(0o640);
        let warnings = sources.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("mode 640"), "{warnings:?}");
        assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
    }

    #[test]
    fn trailing_newline_is_ignored_once() {
        assert_eq!(strip_trailing_newline(b"abc\n".to_vec()), b"abc");
        assert_eq!(strip_trailing_newline(b"abc\r\n".to_vec()), b"abc");
        assert_eq!(strip_trailing_newline(b"abc\n\n".to_vec()), b"abc\n");
        assert_eq!(strip_trailing_newline(b"abc".to_vec()), b"abc");
    }

    #[test]
    fn salt_from_file_and_from_environment_agree() {
        let f = file(&[SALT, b"\n"].concat());
        let from_file = load_hasher(
            &SecretSources {
                salt_file: Some(f.path().into()),
                ..Default::default()
            },
            no_env,
        )
        .unwrap();
        let from_env = load_hasher(&SecretSources::default(), |name| {
            (name == "IDMAP_SALT").then(|| OsString::from("5ce3c76fae7161e7d45a5c96fb6a2b21"))
        })
        .unwrap();
        assert_eq!(from_file.hash("x"), from_env.hash("x"));
        assert_eq!(
            from_file.fingerprint(),
            idmap_common::fingerprint::salt_fingerprint(SALT)
        );
    }

    #[test]
    fn named_variable_is_used() {
        let sources = SecretSources {
            salt_env: Some("MY_SALT".into()),
            ..Default::default()
        };
        let h = load_hasher(&sources, |name| {
            (name == "MY_SALT").then(|| OsString::from("0123456789abcdef"))
        });
        assert!(h.is_ok());
        assert!(matches!(
            load_hasher(&sources, no_env),
            Err(SecretError::Missing)
        ));
    }

    #[test]
    fn empty_and_short_salts_are_refused() {
        let empty = file(b"\n");
        let err = load_hasher(
            &SecretSources {
                salt_file: Some(empty.path().into()),
                ..Default::default()
            },
            no_env,
        )
        .unwrap_err();
        assert!(err.to_string().contains("--legacy-no-salt"), "{err}");
        let err = load_hasher(&SecretSources::default(), |_| Some("short".into())).unwrap_err();
        assert!(matches!(err, SecretError::TooShort { len: 5, .. }), "{err}");
        assert!(!err.to_string().contains("short"), "{err}");
        assert!(matches!(
            load_hasher(&SecretSources::default(), no_env),
            Err(SecretError::Missing)
        ));
    }

    #[test]
    fn legacy_mode_hashes_with_the_empty_salt_only() {
        let legacy = SecretSources {
            legacy_no_salt: true,
            ..Default::default()
        };
        let h = load_hasher(&legacy, no_env).unwrap();
        assert_eq!(
            h.hash("alybee1910-01-01f"),
            "816b9550a3dbebc32022c713de9ab238c6df1b3d71fdd4621e92d8ac94e2654f"
        );
        assert!(load_hasher(&legacy, |_| Some("".into())).is_ok());
        assert!(matches!(
            load_hasher(&legacy, |_| Some("0123456789abcdef".into())),
            Err(SecretError::Conflict(..))
        ));
    }

    #[test]
    fn hmac_key_is_hex_and_excludes_a_salt() {
        let key = file(b"000102030405060708090A0B0C0D0E0F\r\n");
        let sources = SecretSources {
            hmac_key_file: Some(key.path().into()),
            ..Default::default()
        };
        let h = load_hasher(&sources, no_env).unwrap();
        let raw: Vec<u8> = (0u8..16).collect();
        assert_eq!(
            h.fingerprint(),
            idmap_common::fingerprint::salt_fingerprint(&raw)
        );
        assert!(matches!(
            load_hasher(&sources, |_| Some("0123456789abcdef".into())),
            Err(SecretError::Conflict(..))
        ));
        let not_hex = file(b"zz0102030405060708090a0b0c0d0e0f");
        assert!(matches!(
            load_hasher(
                &SecretSources {
                    hmac_key_file: Some(not_hex.path().into()),
                    ..Default::default()
                },
                no_env
            ),
            Err(SecretError::NotHex(_))
        ));
        let short = file(b"0011");
        assert!(matches!(
            load_hasher(
                &SecretSources {
                    hmac_key_file: Some(short.path().into()),
                    ..Default::default()
                },
                no_env
            ),
            Err(SecretError::TooShort { len: 2, .. })
        ));
    }
}
