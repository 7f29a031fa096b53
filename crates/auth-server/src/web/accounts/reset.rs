//! `/accounts/password_reset/`: the request form (the same answer whether
//! or not the address is registered) and `confirm/`, reached by the mailed
//! single-use link (30 minutes), where the new password is set. Setting it
//! ends every session of the user.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::password_policy::MIN_PASSWORD_LEN;
use crate::error::ApiError;
use crate::routes::AppState;
use crate::services::accounts::{self, AccountError, LinkPurpose};
use crate::web::page;

#[derive(Deserialize)]
pub struct RequestForm {
    email: Option<String>,
    csrf_token: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
}

fn message(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    title: &str,
    message: &str,
    link: (&str, &str),
) -> Result<HttpResponse, ApiError> {
    let session = page::session(state, req);
    page::render(
        state,
        &session,
        None,
        status,
        "message.html",
        minijinja::context! { title => title, message => message, link => link.0, link_text => link.1 },
    )
}

fn invalid_link(state: &AppState, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    message(
        state,
        req,
        StatusCode::BAD_REQUEST,
        "Link not valid",
        "This reset link is invalid, expired or already used. Ask for a new one.",
        ("/accounts/password_reset/", "Reset your password"),
    )
}

pub async fn get_request(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(&state, &req);
    page::render(
        &state,
        &session,
        None,
        StatusCode::OK,
        "reset_request.html",
        minijinja::context! {},
    )
}

pub async fn post_request(
    req: HttpRequest,
    form: web::Form<RequestForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(&state, &req);
    if !page::csrf_ok(&state, &session, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    let email = form.email.clone().unwrap_or_default();
    if let Some(resp) = page::mail_throttled(&state, &req, &email).await? {
        return Ok(resp);
    }
    accounts::request_reset(&state.db, &state.mailer, &state.base_url, &email).await?;
    message(
        &state,
        &req,
        StatusCode::OK,
        "Check your inbox",
        "If an account uses this address, a message with a link to choose a new password \
         is on its way. The link works once, for 30 minutes.",
        ("/accounts/login/", "Go to sign-in"),
    )
}

fn confirm_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    token: &str,
    error: &str,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(state, req);
    page::render(
        state,
        &session,
        None,
        status,
        "reset_confirm.html",
        minijinja::context! { token => token, error => error, min_len => MIN_PASSWORD_LEN },
    )
}

pub async fn get_confirm(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = query.token.clone().unwrap_or_default();
    let live = accounts::peek_link(&state.db, &token, LinkPurpose::Reset).await?;
    if live.is_none() {
        return invalid_link(&state, &req);
    }
    confirm_page(&state, &req, StatusCode::OK, &token, "")
}

pub async fn post_confirm(
    req: HttpRequest,
    form: web::Form<ConfirmForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(&state, &req);
    if !page::csrf_ok(&state, &session, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    let token = form.token.clone().unwrap_or_default();
    let password = form.password.clone().unwrap_or_default();
    match accounts::reset_password(&state.db, &token, &password).await {
        Ok(true) => message(
            &state,
            &req,
            StatusCode::OK,
            "Password changed",
            "Your new password is set and every earlier session has ended. Sign in with it now.",
            ("/accounts/login/", "Sign in"),
        ),
        Ok(false) => invalid_link(&state, &req),
        Err(AccountError::Invalid(error)) => confirm_page(
            &state,
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &token,
            &error,
        ),
        Err(AccountError::Storage(_)) => Err(ApiError::Unavailable),
        Err(e @ AccountError::Hashing) => Err(ApiError::internal(e)),
    }
}
