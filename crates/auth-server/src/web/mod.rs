//! The server-rendered user center and the pieces its pages share: signed
//! session cookies, CSRF tokens, templates, the signed-in user, the client
//! address behind trusted proxies, the accounts pages, the applications a
//! user owns, the approvals they gave, the one stylesheet, and the page
//! that answers a 404 under them.

pub mod accounts;
pub mod applications;
pub mod authorized_tokens;
pub mod client_ip;
pub mod csrf;
pub mod current;
pub mod not_found;
pub mod page;
pub mod session;
pub mod static_files;
pub mod templates;
