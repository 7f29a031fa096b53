//! What every user-center page handler needs: the request's session (or a
//! new anonymous one), rendering a template with the CSRF token and the
//! signed-in user's address, setting the session cookie, message pages,
//! and redirects.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use minijinja::Value;

use super::client_ip::client_ip;
use super::csrf;
use super::session::Session;
use super::state::PagesState;
use crate::error::ApiError;
use idmap_common::clock::now_unix;

/// The request's session, or a new anonymous one (its cookie is set by [`render`]).
pub fn session(pages: &PagesState, req: &HttpRequest) -> Session {
    let now = now_unix();
    pages
        .sessions
        .read(req, now)
        .unwrap_or_else(|| pages.sessions.start(None, now))
}

/// Renders `name` with `ctx` plus `csrf_token` and `user_email`, and
/// (re)sets the session cookie.
pub fn render(
    pages: &PagesState,
    session: &Session,
    user_email: Option<&str>,
    status: StatusCode,
    name: &str,
    ctx: Value,
) -> Result<HttpResponse, ApiError> {
    let ctx = minijinja::context! {
        csrf_token => csrf::token(&pages.sessions, session),
        user_email => user_email,
        ..ctx
    };
    let mut resp = pages.templates.page(status, name, ctx)?;
    resp.add_cookie(&pages.sessions.cookie(session))
        .map_err(ApiError::internal)?;
    Ok(resp)
}

/// Renders `name` for a visitor, in the request's session.
pub fn visitor_page(
    pages: &PagesState,
    req: &HttpRequest,
    status: StatusCode,
    name: &str,
    ctx: Value,
) -> Result<HttpResponse, ApiError> {
    render(pages, &session(pages, req), None, status, name, ctx)
}

/// A message page (title, text, a link onward) in the request's session.
pub fn message(
    pages: &PagesState,
    req: &HttpRequest,
    status: StatusCode,
    (title, message): (&str, &str),
    (link, link_text): (&str, &str),
) -> Result<HttpResponse, ApiError> {
    let ctx = minijinja::context! { title, message, link, link_text };
    visitor_page(pages, req, status, "message.html", ctx)
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Counts one mail-sending form post for `email` and the client address;
/// `Some(page)` (429) when either sent too many recently. The answer does
/// not depend on whether the address is registered.
pub async fn mail_throttled(
    pages: &PagesState,
    req: &HttpRequest,
    email: &str,
) -> Result<Option<HttpResponse>, ApiError> {
    let key = crate::domain::user::Email::parse(email).map(|e| e.as_str().to_owned());
    let ip = client_ip(req, &pages.trusted_proxies);
    if let Err(wait) = pages.mail_limiter.check(key.as_deref(), ip) {
        let mut resp = pages.templates.page(
            StatusCode::TOO_MANY_REQUESTS,
            "message.html",
            minijinja::context! {
                title => "Too many requests",
                message => format!(
                    "Too many messages were asked for this address or from your network. \
                     Wait {} minutes and try again.",
                    wait.div_ceil(60)
                ),
            },
        )?;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
        return Ok(Some(resp));
    }
    pages.mail_limiter.record_failure(key.as_deref(), ip).await;
    Ok(None)
}
