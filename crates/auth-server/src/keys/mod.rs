//! The signing-key store: every key file in `AUTH_SIGNING_KEY_DIR`, which
//! of them signs, and the JWK Set that publishes them all.
//!
//! Keys are files `signing-<seq>.pem` (PKCS#8, mode 0600). The newest key of
//! the configured algorithm signs; all are published so that tokens signed
//! by an older key stay verifiable. A process that finds no key of the
//! configured algorithm creates the next sequence number race-safely, so
//! processes starting together on an empty directory end with one key.
//! Rotation (a new sequence number, published before it signs) and retiring
//! old keys are later additions to this module.

pub mod files;
pub mod hmac_key;
pub mod material;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use jsonwebtoken::jwk::JwkSet;

use crate::config::SigningAlg;
pub use material::{KeyError, SigningKey};

const FILE_PREFIX: &str = "signing-";
const FILE_SUFFIX: &str = ".pem";
/// Rounds of "scan, then create the next key" before giving up on a race.
const CREATE_ATTEMPTS: usize = 5;

/// The keys loaded at one moment.
#[derive(Debug)]
pub struct KeySet {
    pub signing: Arc<SigningKey>,
    pub published: Vec<Arc<SigningKey>>,
}

/// Shared, reloadable view of the key directory; signing never touches disk.
#[derive(Debug)]
pub struct KeyStore {
    dir: PathBuf,
    alg: SigningAlg,
    current: RwLock<Arc<KeySet>>,
}

impl KeyStore {
    /// Loads the directory, creating the first key of `alg` when there is none.
    /// Blocking (file I/O, possibly RSA key generation).
    pub fn load_or_create(dir: &Path, alg: SigningAlg) -> Result<Self, KeyError> {
        files::ensure_dir(dir)?;
        let set = load_or_create_set(dir, alg)?;
        Ok(Self {
            dir: dir.to_owned(),
            alg,
            current: RwLock::new(Arc::new(set)),
        })
    }

    /// Re-reads the directory (for keys added by another process).
    pub fn reload(&self) -> Result<(), KeyError> {
        let set = Arc::new(load_or_create_set(&self.dir, self.alg)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = set;
        Ok(())
    }

    /// The keys as of the last load.
    pub fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The key new tokens are signed with.
    pub fn signing_key(&self) -> Arc<SigningKey> {
        self.current().signing.clone()
    }

    /// RFC 7517 JWK Set of every published public key, signing key first.
    pub fn jwks(&self) -> JwkSet {
        let set = self.current();
        let mut keys = vec![set.signing.public_jwk().clone()];
        keys.extend(
            set.published
                .iter()
                .filter(|k| k.kid != set.signing.kid)
                .map(|k| k.public_jwk().clone()),
        );
        JwkSet { keys }
    }
}

fn load_or_create_set(dir: &Path, alg: SigningAlg) -> Result<KeySet, KeyError> {
    for _ in 0..CREATE_ATTEMPTS {
        let keys = scan(dir)?;
        if let Some((_, signing)) = keys.iter().rev().find(|(_, k)| k.alg == alg) {
            let signing = signing.clone();
            return Ok(KeySet {
                signing,
                published: keys.into_iter().map(|(_, k)| k).collect(),
            });
        }
        let next = keys.last().map_or(1, |(seq, _)| seq + 1);
        let name = file_name(next);
        let pem = material::generate_pem(alg)?;
        if files::create_new(dir, &name, pem.as_bytes())? {
            tracing::info!(file = %name, ?alg, "created a signing key");
        }
    }
    Err(KeyError::Invalid(format!(
        "could not settle on a signing key in {} (concurrent writers?)",
        dir.display()
    )))
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

/// Every key file of the directory, by ascending sequence number.
fn scan(dir: &Path) -> Result<Vec<(u32, Arc<SigningKey>)>, KeyError> {
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
        keys.push((seq, Arc::new(key)));
    }
    keys.sort_by_key(|(seq, _)| *seq);
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
    fn a_corrupt_key_file_is_a_loud_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("signing-0001.pem"), "junk").unwrap();
        assert!(KeyStore::load_or_create(dir.path(), SigningAlg::EdDsa).is_err());
    }
}
