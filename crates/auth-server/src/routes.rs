//! The shapes of a resource that the pages and the OAuth endpoints share:
//! which methods it answers (405 with `Allow` for the rest), and for forms
//! the size limit and the error answers of their bodies.

use actix_web::{FromRequest, Handler, Resource, Responder, web};

use crate::error::{form_config, method_not_allowed};

/// A resource that only shows something: GET.
pub fn view<A>(path: &str, get: impl Handler<A, Output: Responder + 'static>) -> Resource
where
    A: FromRequest + 'static,
{
    web::resource(path)
        .route(web::get().to(get))
        .default_service(method_not_allowed("GET"))
}

/// A resource with a form: GET shows it, POST takes it.
pub fn form<G, P>(
    path: &str,
    get: impl Handler<G, Output: Responder + 'static>,
    post: impl Handler<P, Output: Responder + 'static>,
) -> Resource
where
    G: FromRequest + 'static,
    P: FromRequest + 'static,
{
    posting(path, "GET, POST")
        .route(web::get().to(get))
        .route(web::post().to(post))
}

/// A form posted from elsewhere: POST only.
pub fn action<P>(path: &str, post: impl Handler<P, Output: Responder + 'static>) -> Resource
where
    P: FromRequest + 'static,
{
    posting(path, "POST").route(web::post().to(post))
}

fn posting(path: &str, allow: &'static str) -> Resource {
    web::resource(path)
        .app_data(form_config())
        .default_service(method_not_allowed(allow))
}
