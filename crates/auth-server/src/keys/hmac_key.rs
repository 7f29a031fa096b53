//! The server key under which client secrets are hashed: 32 random bytes in
//! `<AUTH_SIGNING_KEY_DIR>/client-secret.hmac`, created on first use.
//! Losing or changing it invalidates every stored client secret.

use std::path::Path;

use rand::RngCore;

use super::files;
use super::material::KeyError;
use crate::domain::client_secret::{HASH_KEY_LEN, SecretHasher};

/// File name of the client-secret HMAC key inside the key directory.
pub const FILE_NAME: &str = "client-secret.hmac";

/// File name of the key that signs login-session cookies and CSRF tokens.
pub const SESSION_FILE_NAME: &str = "session.hmac";

/// Loads the key, creating it first if no process has yet.
pub fn load_or_create(dir: &Path) -> Result<SecretHasher, KeyError> {
    load_or_create_bytes(dir, FILE_NAME).map(SecretHasher::new)
}

/// Loads (creating on first use) a 32-byte random key named `file_name`.
pub fn load_or_create_bytes(dir: &Path, file_name: &str) -> Result<[u8; HASH_KEY_LEN], KeyError> {
    files::ensure_dir(dir)?;
    let path = dir.join(file_name);
    if !path.exists() {
        let mut key = [0u8; HASH_KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        if files::create_new(dir, file_name, &key)? {
            tracing::info!(path = %path.display(), "created a server key");
        }
    }
    let bytes = std::fs::read(&path)?;
    let key: [u8; HASH_KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        KeyError::Invalid(format!(
            "{} must hold exactly {HASH_KEY_LEN} bytes",
            path.display()
        ))
    })?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let b = load_or_create(dir.path()).unwrap();
        assert_eq!(a.hash("s"), b.hash("s"));
    }

    #[test]
    fn a_truncated_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"short").unwrap();
        assert!(load_or_create(dir.path()).is_err());
    }
}
