//! The signing-key store: every key file in `AUTH_SIGNING_KEY_DIR`, which
//! of them signs, and the JWK Set that publishes them all.
//!
//! Keys are files `signing-<seq>.pem` (PKCS#8, mode 0600). The newest
//! active key of the configured algorithm signs; older ones stay published
//! until every token they signed has expired. A process that finds no key of the
//! configured algorithm creates the next sequence number race-safely, so
//! processes starting together on an empty directory end with one key.
//! Rotation writes the next sequence number with a sidecar
//! `signing-<seq>.json` naming its activation time; `schedule` decides
//! from those times which key signs and which are published. Every
//! replica polls the directory, so changes apply without a restart.

pub mod files;
pub mod hmac_key;
pub mod material;
pub mod schedule;
mod set;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use jsonwebtoken::jwk::JwkSet;

use crate::config::SigningAlg;
pub use material::{KeyError, SigningKey};
use schedule::KeyMeta;
pub use set::{KeySet, KeyView, LoadedKey};

const FILE_PREFIX: &str = "signing-";
const FILE_SUFFIX: &str = ".pem";
const META_SUFFIX: &str = ".json";
/// Rounds of "scan, then create the next key" before giving up on a race.
const CREATE_ATTEMPTS: usize = 5;

/// Shared, reloadable view of the key directory; signing never touches disk.
#[derive(Debug)]
pub struct KeyStore {
    dir: PathBuf,
    alg: SigningAlg,
    token_ttl: i64,
    current: RwLock<Arc<KeySet>>,
    /// Names, sizes and modification times seen at the last load.
    fingerprint: RwLock<Vec<(String, u64, std::time::SystemTime)>>,
}

impl KeyStore {
    /// Loads the directory, creating the first key of `alg` when there is none.
    /// Blocking (file I/O, possibly RSA key generation). Retirement assumes
    /// the default access-token lifetime; see [`KeyStore::load_with_ttl`].
    pub fn load_or_create(dir: &Path, alg: SigningAlg) -> Result<Self, KeyError> {
        Self::load_with_ttl(dir, alg, 3600)
    }

    /// As [`KeyStore::load_or_create`], retiring keys `token_ttl` seconds
    /// (plus leeway) after their successor activates.
    pub fn load_with_ttl(dir: &Path, alg: SigningAlg, token_ttl: u64) -> Result<Self, KeyError> {
        files::ensure_dir(dir)?;
        let token_ttl = i64::try_from(token_ttl).unwrap_or(i64::MAX / 4);
        let fingerprint = dir_fingerprint(dir)?;
        let set = load_or_create_set(dir, alg, token_ttl)?;
        Ok(Self {
            dir: dir.to_owned(),
            alg,
            token_ttl,
            current: RwLock::new(Arc::new(set)),
            fingerprint: RwLock::new(fingerprint),
        })
    }

    /// Re-reads the directory (for keys added by another process).
    pub fn reload(&self) -> Result<(), KeyError> {
        let fingerprint = dir_fingerprint(&self.dir)?;
        let set = Arc::new(load_or_create_set(&self.dir, self.alg, self.token_ttl)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = set;
        *self.fingerprint.write().unwrap_or_else(|e| e.into_inner()) = fingerprint;
        Ok(())
    }

    /// Reloads only when a file of the directory changed; `Ok(true)` if it did.
    pub fn reload_if_changed(&self) -> Result<bool, KeyError> {
        let now = dir_fingerprint(&self.dir)?;
        let same = *self.fingerprint.read().unwrap_or_else(|e| e.into_inner()) == now;
        if same {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }

    /// The keys as of the last load.
    pub fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The key new tokens are signed with now.
    pub fn signing_key(&self) -> Arc<SigningKey> {
        let set = self.current();
        match set.signing_at(idmap_common::clock::now_unix()) {
            Some(k) => k,
            // Unreachable in practice: loading guarantees an active key.
            None => set.keys[set.keys.len() - 1].key.clone(),
        }
    }

    /// RFC 7517 JWK Set of every published public key, signing key first.
    pub fn jwks(&self) -> JwkSet {
        let now = idmap_common::clock::now_unix();
        JwkSet {
            keys: self
                .current()
                .published_at(now)
                .iter()
                .map(|k| k.public_jwk().clone())
                .collect(),
        }
    }

    /// Every key that may have signed a token still valid: the lookup for
    /// verifying our own tokens locally.
    pub fn verification_key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        let now = idmap_common::clock::now_unix();
        self.current()
            .published_at(now)
            .into_iter()
            .find(|k| k.kid == kid)
    }
}

/// Writes the next key of `alg`, published now and signing from
/// `activates_at`. Returns its view. Race-safe against other writers.
pub fn rotate(dir: &Path, alg: SigningAlg, activates_at: i64) -> Result<String, KeyError> {
    files::ensure_dir(dir)?;
    for _ in 0..CREATE_ATTEMPTS {
        let keys = scan(dir)?;
        let next = keys.last().map_or(1, |k| k.seq + 1);
        if create_key(dir, next, alg, activates_at)? {
            return Ok(file_name(next));
        }
    }
    Err(KeyError::Invalid(
        "could not pick a key file name (concurrent writers?)".into(),
    ))
}

/// Sidecar first, then the key: a reader never sees a key without its
/// schedule (which would make it sign at once).
fn create_key(dir: &Path, seq: u32, alg: SigningAlg, activates_at: i64) -> Result<bool, KeyError> {
    let meta = KeyMeta {
        created_at: idmap_common::clock::now_unix(),
        activates_at,
    };
    let json = serde_json::to_vec(&meta).map_err(|e| KeyError::Invalid(e.to_string()))?;
    if !files::create_new(dir, &meta_name(seq), &json)? && dir.join(file_name(seq)).exists() {
        return Ok(false);
    }
    let pem = material::generate_pem(alg)?;
    let created = files::create_new(dir, &file_name(seq), pem.as_bytes())?;
    if created {
        tracing::info!(file = %file_name(seq), ?alg, activates_at, "created a signing key");
    }
    Ok(created)
}

fn load_or_create_set(dir: &Path, alg: SigningAlg, token_ttl: i64) -> Result<KeySet, KeyError> {
    for _ in 0..CREATE_ATTEMPTS {
        let keys = scan(dir)?;
        let next = keys.last().map_or(1, |k| k.seq + 1);
        if keys.iter().any(|k| k.key.alg == alg) {
            let set = KeySet {
                keys,
                alg,
                token_ttl,
            };
            if set.signing_at(idmap_common::clock::now_unix()).is_some() {
                return Ok(set);
            }
        }
        create_key(dir, next, alg, idmap_common::clock::now_unix())?;
    }
    Err(KeyError::Invalid(format!(
        "could not settle on a signing key in {} (concurrent writers?)",
        dir.display()
    )))
}

fn meta_name(seq: u32) -> String {
    format!("{FILE_PREFIX}{seq:04}{META_SUFFIX}")
}

fn dir_fingerprint(dir: &Path) -> Result<Vec<(String, u64, std::time::SystemTime)>, KeyError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(FILE_PREFIX) {
            continue;
        }
        let meta = entry.metadata()?;
        out.push((name, meta.len(), meta.modified()?));
    }
    out.sort();
    Ok(out)
}

fn file_name(seq: u32) -> String {
    format!("{FILE_PREFIX}{seq:04}{FILE_SUFFIX}")
}

fn parse_seq(name: &str) -> Option<u32> {
    name.strip_prefix(FILE_PREFIX)?
        .strip_suffix(FILE_SUFFIX)?
        .parse()
        .ok()
}

/// Every key file of the directory, by ascending sequence number. A key
/// without a sidecar (written before rotation existed) counts as active
/// since its file was written.
fn scan(dir: &Path) -> Result<Vec<LoadedKey>, KeyError> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(seq) = name.to_str().and_then(parse_seq) else {
            continue;
        };
        let pem = std::fs::read(entry.path())?;
        let key = SigningKey::from_pem(&pem)
            .map_err(|e| KeyError::Invalid(format!("{}: {e}", entry.path().display())))?;
        let meta = match std::fs::read(dir.join(meta_name(seq))) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| KeyError::Invalid(format!("{}: {e}", meta_name(seq))))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let written = entry
                    .metadata()?
                    .modified()?
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
                KeyMeta {
                    created_at: written,
                    activates_at: 0,
                }
            }
            Err(e) => return Err(e.into()),
        };
        keys.push(LoadedKey {
            seq,
            key: Arc::new(key),
            meta,
        });
    }
    keys.sort_by_key(|k| k.seq);
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| parse_seq(n).is_some())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn first_start_creates_one_key_and_later_starts_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = KeyStore::load_or_create(dir.path(), SigningAlg::Es256).unwrap();
        let b = KeyStore::load_or_create(dir.path(), SigningAlg::Es256).unwrap();
        assert_eq!(a.signing_key().kid, b.signing_key().kid);
        assert_eq!(key_files(dir.path()), ["signing-0001.pem"]);
    }

    #[test]
    fn concurrent_starters_settle_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let kids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        KeyStore::load_or_create(dir.path(), SigningAlg::EdDsa)
                            .unwrap()
                            .signing_key()
                            .kid
                            .clone()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(kids.iter().all(|k| k == &kids[0]));
        assert_eq!(key_files(dir.path()).len(), 1);
    }

    #[test]
    fn switching_algorithm_adds_a_key_and_keeps_publishing_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let old = KeyStore::load_or_create(dir.path(), SigningAlg::EdDsa).unwrap();
        let new = KeyStore::load_or_create(dir.path(), SigningAlg::Es256).unwrap();
        assert_eq!(new.signing_key().alg, SigningAlg::Es256);
        let jwks = new.jwks();
        assert_eq!(jwks.keys.len(), 2);
        assert!(jwks.find(&old.signing_key().kid).is_some());
        assert_eq!(
            key_files(dir.path()),
            ["signing-0001.pem", "signing-0002.pem"]
        );
    }

    #[test]
    fn a_rotated_key_is_published_before_it_signs() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::load_or_create(dir.path(), SigningAlg::EdDsa).unwrap();
        let first = store.signing_key().kid.clone();
        let now = idmap_common::clock::now_unix();
        rotate(dir.path(), SigningAlg::EdDsa, now + 100).unwrap();
        assert!(store.reload_if_changed().unwrap());
        assert!(!store.reload_if_changed().unwrap(), "no change, no reload");
        assert_eq!(store.signing_key().kid, first);
        assert_eq!(store.jwks().keys.len(), 2);
        let set = store.current();
        assert_eq!(set.next_change(now), Some(now + 100));
        let later = set.signing_at(now + 100).unwrap();
        assert_ne!(later.kid, first);
        assert_eq!(set.published_at(now + 100).len(), 2);
        // Dropped once every token of the old key has expired.
        assert_eq!(
            set.published_at(now + 100 + 3600 + schedule::RETIRE_LEEWAY)
                .len(),
            1
        );
        let views = set.views(now);
        assert_eq!(views[0].state, schedule::KeyState::Signing);
        assert_eq!(views[1].state, schedule::KeyState::Pending);
    }

    #[test]
    fn a_corrupt_key_file_is_a_loud_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("signing-0001.pem"), "junk").unwrap();
        assert!(KeyStore::load_or_create(dir.path(), SigningAlg::EdDsa).is_err());
    }
}
