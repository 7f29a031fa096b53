//! What the user-center pages receive beyond the shared database and
//! secret hasher: sessions, templates, mail and the form throttles.

use std::sync::Arc;

use ipnet::IpNet;

use super::session::SessionKeys;
use super::templates::Templates;
use crate::services::mailer::Mailer;
use crate::services::rate_limit::RateLimiter;

/// The pages' own state, registered as one `web::Data`.
pub struct PagesState {
    pub sessions: SessionKeys,
    /// Shared with the JSON API's HTML views and the authorization endpoint.
    pub templates: Arc<Templates>,
    /// User-center mail (verification and reset links).
    pub mailer: Mailer,
    /// The issuer URL without a trailing slash: the base of mailed links.
    pub base_url: String,
    /// Wrong passwords on the login page, per account and per IP (shared
    /// with the password grant).
    pub login_limiter: Arc<RateLimiter>,
    /// Mail-sending forms (register, reset, resend), per address and per IP,
    /// so the forms cannot be used to flood a mailbox.
    pub mail_limiter: RateLimiter,
    pub trusted_proxies: Vec<IpNet>,
}
