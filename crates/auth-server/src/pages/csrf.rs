//! CSRF tokens for every form: HMAC of the session id under the session
//! key, so a token is worthless without the victim's own cookie, and a
//! cross-site form post (which SameSite=Lax already strips of the cookie)
//! cannot supply it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use super::session::{Session, SessionKeys};

/// Name of the hidden form field.
pub const FIELD: &str = "csrf_token";

/// The token for forms shown in `session`.
pub fn token(keys: &SessionKeys, session: &Session) -> String {
    URL_SAFE_NO_PAD.encode(keys.mac(&[b"csrf", session.sid.as_bytes()]))
}

/// Whether `presented` is the token of `session`.
pub fn verify(keys: &SessionKeys, session: &Session, presented: Option<&str>) -> bool {
    let Some(p) = presented else { return false };
    let expected = token(keys, session);
    expected.as_bytes().ct_eq(p.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_the_session() {
        let keys = SessionKeys::new([1; 32], false, 60);
        let a = keys.start(None, 0);
        let b = keys.start(None, 0);
        let t = token(&keys, &a);
        assert!(verify(&keys, &a, Some(&t)));
        assert!(!verify(&keys, &b, Some(&t)));
        assert!(!verify(&keys, &a, None));
        assert!(!verify(&keys, &a, Some("x")));
    }
}
