//! What every user-center page handler needs: the request's session (or a
//! new anonymous one), rendering a template with the CSRF token and the
//! signed-in user's address, setting the session cookie, checking a form's
//! CSRF token, and the redirect to the login page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use minijinja::Value;

use crate::error::ApiError;
use crate::routes::AppState;
use idmap_common::clock::now_unix;

use super::csrf;
use super::session::Session;

/// The request's session, or a new anonymous one (its cookie is set by [`render`]).
pub fn session(state: &AppState, req: &HttpRequest) -> Session {
    let now = now_unix();
    state
        .sessions
        .read(req, now)
        .unwrap_or_else(|| state.sessions.start(None, now))
}

/// Renders `name` with `ctx` plus `csrf_token` and `user_email`, and
/// (re)sets the session cookie.
pub fn render(
    state: &AppState,
    session: &Session,
    user_email: Option<&str>,
    status: StatusCode,
    name: &str,
    ctx: Value,
) -> Result<HttpResponse, ApiError> {
    let ctx = minijinja::context! {
        csrf_token => csrf::token(&state.sessions, session),
        user_email => user_email,
        ..ctx
    };
    let mut resp = state.templates.page(status, name, ctx)?;
    resp.add_cookie(&state.sessions.cookie(session))
        .map_err(ApiError::internal)?;
    Ok(resp)
}

/// Whether the form's token belongs to this session.
pub fn csrf_ok(state: &AppState, session: &Session, presented: Option<&str>) -> bool {
    csrf::verify(&state.sessions, session, presented)
}

/// The page for a form whose CSRF token is missing or wrong.
pub fn csrf_refused(state: &AppState) -> Result<HttpResponse, ApiError> {
    state.templates.error_page(
        StatusCode::FORBIDDEN,
        "The form expired or was not sent from this site. Open the page again and retry.",
    )
}

/// Sends the browser to the login page, coming back to this request's path.
pub fn to_login(req: &HttpRequest) -> HttpResponse {
    let next = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    let login = format!(
        "/accounts/login/?{}",
        serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
    );
    see_other(&login)
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
    state: &AppState,
    req: &HttpRequest,
    email: &str,
) -> Result<Option<HttpResponse>, ApiError> {
    let key = crate::domain::user::Email::parse(email).map(|e| e.as_str().to_owned());
    let ip = super::client_ip::client_ip(req, &state.trusted_proxies);
    if let Err(wait) = state.mail_limiter.check(key.as_deref(), ip) {
        let mut resp = state.templates.page(
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
    state.mail_limiter.record_failure(key.as_deref(), ip).await;
    Ok(None)
}
