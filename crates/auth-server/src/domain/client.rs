//! A registered OAuth client as the domain sees it, and its identifier.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idmap_common::ids::PartnerCode;
use rand::RngCore;

use super::client_secret::SecretHash;
use super::scopes::ScopeSet;

/// Longest client id we look up; longer ones cannot exist.
pub const MAX_CLIENT_ID_LEN: usize = 64;

/// A client identifier: 16 random bytes, URL-safe base64 without padding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// A new random id for a client being registered.
    /// Starts with a letter or digit: an id beginning with `-` would be
    /// read as an option by command-line tools (`--client-id -abc`).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        loop {
            rand::rng().fill_bytes(&mut bytes);
            let id = URL_SAFE_NO_PAD.encode(bytes);
            if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return Self(id);
            }
        }
    }

    /// Accepts any presented id of plausible shape (1 to 64 visible ASCII
    /// characters); whether it exists is the store's question.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= MAX_CLIENT_ID_LEN
            && s.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(s.to_owned()))
    }

    /// The id as sent on the wire and stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Confidential clients hold a secret; public ones authenticate with PKCE only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Confidential,
    Public,
}

/// A client with what authentication and grants need to know about it.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub name: Option<String>,
    pub partner: Option<PartnerCode>,
    pub scopes: ScopeSet,
    pub kind: ClientKind,
    pub redirect_uris: Vec<String>,
    pub disabled: bool,
    /// Hashes of the secrets currently valid (several during a rotation).
    pub secret_hashes: Vec<SecretHash>,
    /// The user who registered it in the user center; `None` for a client
    /// an operator registered.
    pub owner: Option<String>,
}

impl Client {
    /// Whether errors of its authorization requests may be redirected to
    /// its redirect URI without a user's say (RFC 9700 4.11.2): only for
    /// clients an operator registered. Anyone with an account can register
    /// an application, and an error redirect needs no login, so redirecting
    /// for those would make this server an open redirector.
    pub fn redirects_errors(&self) -> bool {
        self.owner.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_url_safe_and_parse_back() {
        let id = ClientId::generate();
        assert_eq!(id.as_str().len(), 22);
        assert_eq!(ClientId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn generated_ids_never_look_like_an_option() {
        // 2 of 64 first characters were '-' or '_' before; 2,000 draws
        // would show one with near certainty.
        for _ in 0..2000 {
            let id = ClientId::generate();
            assert!(
                id.as_str().starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{}",
                id.as_str()
            );
        }
    }

    #[test]
    fn implausible_ids_are_refused() {
        assert!(ClientId::parse("").is_none());
        assert!(ClientId::parse("a b").is_none());
        assert!(ClientId::parse(&"a".repeat(65)).is_none());
    }
}
