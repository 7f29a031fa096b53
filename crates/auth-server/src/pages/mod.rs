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
pub mod session;
pub mod state;
pub mod static_files;
pub mod templates;

use actix_web::{FromRequest, Handler, Resource, Responder, web};

use crate::error::{form_config, method_not_allowed};

/// A page that only shows something: GET, and 405 for other methods.
pub fn view<F, A>(path: &str, get: F) -> Resource
where
    F: Handler<A>,
    A: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(get))
        .default_service(method_not_allowed("GET"))
}

/// A page with a form: GET shows it, POST takes it (size-limited, with
/// form errors answered as pages).
pub fn form<G, GA, P, PA>(path: &str, get: G, post: P) -> Resource
where
    G: Handler<GA>,
    GA: FromRequest + 'static,
    G::Output: Responder + 'static,
    P: Handler<PA>,
    PA: FromRequest + 'static,
    P::Output: Responder + 'static,
{
    web::resource(path)
        .app_data(form_config())
        .route(web::get().to(get))
        .route(web::post().to(post))
        .default_service(method_not_allowed("GET, POST"))
}

/// A form posted from another page: POST only.
pub fn action<P, PA>(path: &str, post: P) -> Resource
where
    P: Handler<PA>,
    PA: FromRequest + 'static,
    P::Output: Responder + 'static,
{
    web::resource(path)
        .app_data(form_config())
        .route(web::post().to(post))
        .default_service(method_not_allowed("POST"))
}

/// Registers the pages' routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    accounts::configure(cfg);
    applications::configure(cfg);
    authorized_tokens::configure(cfg);
    static_files::configure(cfg);
}
