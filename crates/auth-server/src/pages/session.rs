//! Login sessions as signed cookies: `base64url(json).base64url(hmac)`,
//! HMAC-SHA256 under `session.hmac` in the key directory. A session holds a
//! random id (the CSRF tokens are bound to it), the user once logged in,
//! and an expiry. The cookie is HttpOnly, SameSite=Lax, and Secure when the
//! issuer is https. Stateless on purpose: every replica can read it; a new
//! id is issued at login so a planted cookie cannot be promoted.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::opaque::OpaqueToken;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "idmap_session";

/// What the cookie says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random id; CSRF tokens are derived from it.
    pub sid: String,
    /// The logged-in user's id, if any.
    pub uid: Option<String>,
    /// Unix seconds after which the cookie is ignored.
    pub exp: i64,
    /// The user's session generation at login; a session of an older
    /// generation is dead (logout and password reset bump it server-side,
    /// so a copied cookie stops working).
    #[serde(default)]
    pub generation: i64,
}

/// Signs and reads session cookies.
#[derive(Clone)]
pub struct SessionKeys {
    key: [u8; 32],
    secure: bool,
    ttl: i64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys([redacted])")
    }
}

impl SessionKeys {
    /// `secure`: set the cookie's Secure flag (https issuer).
    pub fn new(key: [u8; 32], secure: bool, ttl_seconds: u64) -> Self {
        Self {
            key,
            secure,
            ttl: i64::try_from(ttl_seconds).unwrap_or(86_400),
        }
    }

    /// The key CSRF tokens are derived with.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"));
        for p in parts {
            mac.update(p);
            mac.update(b"\0");
        }
        mac.finalize().into_bytes().into()
    }

    /// A new session (anonymous unless `uid`), valid from `now`.
    pub fn start(&self, uid: Option<String>, now: i64) -> Session {
        Session {
            sid: OpaqueToken::generate().expose().to_owned(),
            uid,
            exp: now + self.ttl,
            generation: 0,
        }
    }

    /// A new logged-in session of `uid` at the user's session generation.
    pub fn start_user(&self, uid: String, generation: i64, now: i64) -> Session {
        Session {
            generation,
            ..self.start(Some(uid), now)
        }
    }

    /// The session of this request, if its cookie is intact and unexpired.
    pub fn read(&self, req: &HttpRequest, now: i64) -> Option<Session> {
        let cookie = req.cookie(COOKIE_NAME)?;
        let (payload, sig) = cookie.value().split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let expected = self.mac(&[b"session", payload.as_bytes()]);
        if !bool::from(expected.as_slice().ct_eq(&sig)) {
            return None;
        }
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let session: Session = serde_json::from_slice(&json).ok()?;
        (session.exp > now).then_some(session)
    }

    /// The cookie carrying `session`.
    pub fn cookie(&self, session: &Session) -> Cookie<'static> {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(session).unwrap_or_default());
        let sig = URL_SAFE_NO_PAD.encode(self.mac(&[b"session", payload.as_bytes()]));
        self.build(format!("{payload}.{sig}"))
    }

    /// A cookie that deletes the session (logout).
    pub fn removal(&self) -> Cookie<'static> {
        let mut c = self.build(String::new());
        c.make_removal();
        c
    }

    fn build(&self, value: String) -> Cookie<'static> {
        Cookie::build(COOKIE_NAME, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn a_signed_cookie_reads_back_and_a_tampered_one_does_not() {
        let keys = SessionKeys::new([7; 32], true, 100);
        let s = keys.start(Some("u1".into()), 1000);
        let c = keys.cookie(&s);
        assert!(c.http_only().unwrap_or(false));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.secure(), Some(true));
        let req = TestRequest::default().cookie(c.clone()).to_http_request();
        assert_eq!(keys.read(&req, 1050), Some(s.clone()));
        assert_eq!(keys.read(&req, 1100), None, "expired");
        let other = SessionKeys::new([8; 32], true, 100);
        assert_eq!(other.read(&req, 1050), None, "wrong key");
        let forged = Cookie::new(COOKIE_NAME, c.value().replace('.', "x."));
        let req = TestRequest::default().cookie(forged).to_http_request();
        assert_eq!(keys.read(&req, 1050), None);
    }
}
