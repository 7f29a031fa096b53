//! The accounts pages of the user center, one file per job: the home page,
//! registration and address verification, login and logout, password reset.
//! Every form carries a CSRF token bound to the session.

pub mod home;
pub mod login;
pub mod register;
pub mod reset;

use actix_web::web;
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::{action, form, view};
use crate::services::accounts::AccountError;

/// The `?token=` of a mailed link.
#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
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
