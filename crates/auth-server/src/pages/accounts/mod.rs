//! The accounts pages of the user center, one file per job: the home page,
//! registration and address verification, login and logout, password reset.
//! Every form carries a CSRF token bound to the session.

pub mod home;
pub mod login;
pub mod register;
pub mod reset;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::password_policy::MIN_PASSWORD_LEN;
use crate::error::ApiError;
use crate::pages::page;
use crate::pages::state::PagesState;
use crate::routes::{action, form, view};
use crate::services::accounts::AccountError;

/// The `?token=` of a mailed link.
#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// A page whose form sets a password (`register.html`,
/// `reset_confirm.html`): `ctx` (with the form's `error`) and the policy's
/// minimum length.
fn password_form(
    pages: &PagesState,
    req: &HttpRequest,
    (status, name): (StatusCode, &str),
    ctx: minijinja::Value,
) -> Result<HttpResponse, ApiError> {
    let ctx = minijinja::context! { min_len => MIN_PASSWORD_LEN, ..ctx };
    page::visitor_page(pages, req, status, name, ctx)
}

/// A failure of the accounts service that is not the form's fault.
fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::Storage(_) => ApiError::Unavailable,
        other => ApiError::internal(other),
    }
}

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(view("/accounts/", home::get_home))
        .service(form(
            "/accounts/login/",
            login::get_login,
            login::post_login,
        ))
        .service(action("/accounts/logout/", login::post_logout))
        .service(form(
            "/accounts/register/",
            register::get_register,
            register::post_register,
        ))
        .service(view("/accounts/verify/", register::get_verify))
        .service(action("/accounts/verify/resend/", register::post_resend))
        .service(form(
            "/accounts/password_reset/",
            reset::get_request,
            reset::post_request,
        ))
        .service(form(
            "/accounts/password_reset/confirm/",
            reset::get_confirm,
            reset::post_confirm,
        ));
}
