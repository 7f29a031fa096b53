//! `/accounts/register/` (e-mail and password; the same answer whether or
//! not the address is registered), `/accounts/verify/` (the mailed
//! single-use link) and `/accounts/verify/resend/`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::password_policy::MIN_PASSWORD_LEN;
use crate::error::ApiError;
use crate::routes::AppState;
use crate::services::accounts::{self, AccountError};
use crate::web::{current, page};

#[derive(Deserialize)]
pub struct RegisterForm {
    email: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

fn message(
    state: &AppState,
    req: &HttpRequest,
    title: &str,
    message: &str,
    link: Option<(&str, &str)>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(state, req);
    page::render(
        state,
        &session,
        None,
        StatusCode::OK,
        "message.html",
        minijinja::context! {
            title => title,
            message => message,
            link => link.map(|l| l.0),
            link_text => link.map(|l| l.1),
        },
    )
}

pub async fn get_register(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(&state, &req);
    page::render(
        &state,
        &session,
        None,
        StatusCode::OK,
        "register.html",
        minijinja::context! { email => "", error => "", min_len => MIN_PASSWORD_LEN },
    )
}

pub async fn post_register(
    req: HttpRequest,
    form: web::Form<RegisterForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let session = page::session(&state, &req);
    if !page::csrf_ok(&state, &session, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    let email = form.email.clone().unwrap_or_default();
    let password = form.password.clone().unwrap_or_default();
    if let Some(resp) = page::mail_throttled(&state, &req, &email).await? {
        return Ok(resp);
    }
    match accounts::register(&state.db, &state.mailer, &state.base_url, &email, &password).await {
        Ok(()) => message(
            &state,
            &req,
            "Check your inbox",
            "If this address can be registered, a message with a confirmation link is on its way. \
             Open the link to confirm your address, then sign in.",
            Some(("/accounts/login/", "Go to sign-in")),
        ),
        Err(AccountError::Invalid(error)) => page::render(
            &state,
            &session,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "register.html",
            minijinja::context! { email => email, error => error, min_len => MIN_PASSWORD_LEN },
        ),
        Err(AccountError::Storage(_)) => Err(ApiError::Unavailable),
        Err(e @ AccountError::Hashing) => Err(ApiError::internal(e)),
    }
}

pub async fn get_verify(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ok = match query.token.as_deref() {
        Some(t) => accounts::verify_email(&state.db, t).await?,
        None => false,
    };
    if ok {
        message(
            &state,
            &req,
            "Address confirmed",
            "Thank you: your e-mail address is confirmed. You can now approve applications.",
            Some(("/accounts/", "Your account")),
        )
    } else {
        let session = page::session(&state, &req);
        let mut resp = page::render(
            &state,
            &session,
            None,
            StatusCode::BAD_REQUEST,
            "message.html",
            minijinja::context! {
                title => "Link not valid",
                message => "This confirmation link is invalid, expired or already used. \
                            Sign in and ask for a new one from your account page.",
                link => "/accounts/",
                link_text => "Your account",
            },
        )?;
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        Ok(resp)
    }
}

pub async fn post_resend(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some((session, user)) = current::signed_in(&state, &req).await? else {
        return Ok(page::to_login(&req));
    };
    if !page::csrf_ok(&state, &session, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    if let Some(resp) = page::mail_throttled(&state, &req, &user.email).await? {
        return Ok(resp);
    }
    if !user.email_verified {
        accounts::send_verification(&state.db, &state.mailer, &state.base_url, &user).await?;
    }
    message(
        &state,
        &req,
        "Link sent",
        "A new confirmation link is on its way to your address.",
        Some(("/accounts/", "Your account")),
    )
}
