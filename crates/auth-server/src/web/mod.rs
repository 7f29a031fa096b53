//! Pieces of the server-rendered pages, each in its own module so that the
//! user center built later reuses them: signed session cookies, CSRF
//! tokens, templates, and the client address behind trusted proxies.

pub mod client_ip;
pub mod csrf;
pub mod session;
pub mod templates;
