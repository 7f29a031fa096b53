//! The server-rendered user center, one audience of the HTTP layer, and the
//! pieces its pages share: their state, signed session cookies, CSRF
//! tokens, templates, the signed-in user as an extractor, the client
//! address behind trusted proxies, the accounts pages, the applications a
//! user owns, the approvals they gave, the authorization endpoint's consent
//! page, the one stylesheet, and the page that answers a 404 under them.
//! Nothing here imports `http`: the OAuth endpoints build on these pages,
//! not the other way round.

pub mod accounts;
pub mod applications;
pub mod authorized_tokens;
pub mod client_ip;
pub mod consent;
pub mod csrf;
pub mod extract;
pub mod not_found;
pub mod page;
pub mod posted;
pub mod session;
pub mod state;
pub mod static_files;
pub mod templates;

use actix_web::web;

/// Registers the pages' routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    accounts::configure(cfg);
    applications::configure(cfg);
    authorized_tokens::configure(cfg);
    static_files::configure(cfg);
}
