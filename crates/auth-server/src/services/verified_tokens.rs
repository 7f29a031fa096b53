//! Access tokens whose signature this server has already checked, so that
//! introspecting the same token again (a resource server may do so for
//! every request it serves) skips the signature verification, most of an
//! introspection's cost with RS256. An entry is found only by the sha256
//! of the whole token, so no other string reaches it; it is used only while
//! its token is within `nbf` and `exp` and the key that signed it is still
//! published, and revocation is checked on every use as before. Memory is
//! bounded: a full map first drops expired entries, then starts afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use idmap_common::claims::AccessClaims;
use sha2::{Digest, Sha256};

/// Most tokens remembered at once, about 500 bytes each.
pub const MAX_ENTRIES: usize = 10_000;

/// The claims of a token with a good signature, and the key that made it.
#[derive(Debug)]
pub struct Verified {
    pub claims: AccessClaims,
    pub kid: String,
}

impl Verified {
    /// Whether the token is valid at `now` (no leeway: our own clock
    /// issued it).
    fn current(&self, now: i64) -> bool {
        self.claims.nbf <= now && now <= self.claims.exp
    }
}

/// The lookup key of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }
}

/// The shared memory of verified tokens; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct VerifiedTokens {
    map: Arc<Mutex<HashMap<TokenKey, Arc<Verified>>>>,
}

impl VerifiedTokens {
    /// The entry of `key` if its token is valid at `now`.
    pub fn get(&self, key: &TokenKey, now: i64) -> Option<Arc<Verified>> {
        self.lock().get(key).filter(|v| v.current(now)).cloned()
    }

    /// Remembers a token verified at `now`.
    pub fn insert(&self, key: TokenKey, verified: Arc<Verified>, now: i64) {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            map.retain(|_, v| v.current(now));
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key, verified);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, Arc<Verified>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use idmap_common::claims::Audience;

    use super::*;

    fn verified(nbf: i64, exp: i64) -> Arc<Verified> {
        Arc::new(Verified {
            claims: AccessClaims {
                iss: "http://issuer".into(),
                sub: "c1".into(),
                aud: Audience::One("idmap".into()),
                exp,
                iat: nbf,
                nbf,
                jti: "j".into(),
                client_id: "c1".into(),
                scope: "idmap:link".into(),
                partner: None,
            },
            kid: "k".into(),
        })
    }

    #[test]
    fn an_entry_serves_its_own_token_only_while_the_token_is_valid() {
        let cache = VerifiedTokens::default();
        let key = TokenKey::of("a.b.c");
        cache.insert(key, verified(100, 200), 100);
        assert!(cache.get(&key, 100).is_some());
        assert!(cache.get(&key, 200).is_some());
        assert!(cache.get(&key, 201).is_none(), "expired");
        assert!(cache.get(&key, 99).is_none(), "not yet valid");
        assert!(cache.get(&TokenKey::of("a.b.d"), 150).is_none());
    }

    #[test]
    fn a_full_cache_drops_expired_entries_first_then_everything() {
        let cache = VerifiedTokens::default();
        for i in 0..MAX_ENTRIES {
            let exp = if i == 0 { 300 } else { 150 };
            cache.insert(TokenKey::of(&i.to_string()), verified(100, exp), 100);
        }
        cache.insert(TokenKey::of("new"), verified(100, 300), 200);
        assert_eq!(cache.len(), 2, "expired entries went, live ones stayed");
        assert!(cache.get(&TokenKey::of("0"), 200).is_some());

        let cache = VerifiedTokens::default();
        for i in 0..MAX_ENTRIES {
            cache.insert(TokenKey::of(&i.to_string()), verified(100, 300), 200);
        }
        cache.insert(TokenKey::of("newer"), verified(100, 300), 200);
        assert_eq!(cache.len(), 1, "full of live entries: started afresh");
        assert!(cache.get(&TokenKey::of("newer"), 200).is_some());
    }
}
