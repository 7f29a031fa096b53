//! `/accounts/login/` and `/accounts/logout/`. A successful login starts a
//! fresh session (new id: a planted cookie cannot be promoted) and returns
//! to `next` only if it is a local path. Wrong passwords are throttled per
//! account and client address, per account and per address
//! (`services::rate_limit`; a 429 page says how long to wait).
//! Logout is a CSRF-checked POST that bumps the user's session generation,
//! so every copy of the cookie dies server-side.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use idmap_storage::Database;

use crate::domain::local_path::is_local_path;
use crate::domain::user::Email;
use crate::error::ApiError;
use crate::pages::client_ip::client_ip;
use crate::pages::extract::{CurrentUser, ExistingSession};
use crate::pages::page;
use crate::pages::posted::CsrfChecked;
use crate::pages::session::Session;
use crate::pages::state::PagesState;
use crate::services::{accounts, users};
use idmap_common::clock::now_unix;

/// Where a login without a usable `next` lands.
pub const DEFAULT_NEXT: &str = "/accounts/";

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .unwrap_or(DEFAULT_NEXT)
        .to_owned()
}

fn form_page(
    pages: &PagesState,
    session: &Session,
    status: StatusCode,
    next: &str,
    email: &str,
    error: &str,
) -> Result<HttpResponse, ApiError> {
    page::render(
        pages,
        session,
        None,
        status,
        "login.html",
        minijinja::context! { next => next, email => email, error => error },
    )
}

pub async fn get_login(
    req: HttpRequest,
    query: web::Query<NextQuery>,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(&pages, &req);
    let next = safe_next(query.next.as_deref());
    form_page(&pages, &session, StatusCode::OK, &next, "", "")
}

pub async fn post_login(
    req: HttpRequest,
    CsrfChecked {
        form,
        by: ExistingSession(session),
    }: CsrfChecked<LoginForm, ExistingSession>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let next = safe_next(form.next.as_deref());
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let account = Email::parse(&email).map(|e| e.as_str().to_owned());
    let ip = client_ip(&req, &pages.trusted_proxies);
    if let Err(wait) = pages.login_limiter.check(account.as_deref(), ip) {
        tracing::info!("login refused: throttled");
        let minutes = wait.div_ceil(60);
        let mut resp = page::render(
            &pages,
            &session,
            None,
            StatusCode::TOO_MANY_REQUESTS,
            "throttled.html",
            minijinja::context! { minutes => minutes },
        )?;
        resp.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(wait),
        );
        return Ok(resp);
    }
    let user = users::authenticate(&db, &email, &password).await?;
    let Some(user) = user else {
        tracing::info!("login failed");
        pages
            .login_limiter
            .record_failure(account.as_deref(), ip)
            .await;
        return form_page(
            &pages,
            &session,
            StatusCode::UNAUTHORIZED,
            &next,
            &email,
            "Wrong e-mail or password.",
        );
    };
    let fresh = pages
        .sessions
        .start_user(user.id.clone(), user.session_generation, now_unix());
    tracing::info!(user_id = %user.id, "user logged in");
    let mut resp = page::see_other(&next);
    resp.add_cookie(&pages.sessions.cookie(&fresh))
        .map_err(ApiError::internal)?;
    Ok(resp)
}

pub async fn post_logout(
    CsrfChecked {
        by: CurrentUser(current),
        ..
    }: CsrfChecked<(), CurrentUser>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    if let Some(signed) = current {
        accounts::end_sessions(&db, &signed.user.id).await?;
        tracing::info!(user_id = %signed.user.id, "user logged out");
    }
    let mut resp = page::see_other("/accounts/login/");
    resp.add_cookie(&pages.sessions.removal())
        .map_err(ApiError::internal)?;
    Ok(resp)
}
