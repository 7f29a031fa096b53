//! The accounts pages of the user center, one file per job: the home page,
//! registration and address verification, login and logout, password reset.
//! Every form carries a CSRF token bound to the session.

pub mod home;
pub mod login;
pub mod register;
pub mod reset;

use actix_web::web;
use serde::Deserialize;

use crate::error::{ApiError, form_config, method_not_allowed};
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
    cfg.service(
        web::resource("/accounts/")
            .route(web::get().to(home::get_home))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/accounts/login/")
            .app_data(form_config())
            .route(web::get().to(login::get_login))
            .route(web::post().to(login::post_login))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/accounts/logout/")
            .app_data(form_config())
            .route(web::post().to(login::post_logout))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/accounts/register/")
            .app_data(form_config())
            .route(web::get().to(register::get_register))
            .route(web::post().to(register::post_register))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/accounts/verify/")
            .route(web::get().to(register::get_verify))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/accounts/verify/resend/")
            .app_data(form_config())
            .route(web::post().to(register::post_resend))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/accounts/password_reset/")
            .app_data(form_config())
            .route(web::get().to(reset::get_request))
            .route(web::post().to(reset::post_request))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/accounts/password_reset/confirm/")
            .app_data(form_config())
            .route(web::get().to(reset::get_confirm))
            .route(web::post().to(reset::post_confirm))
            .default_service(method_not_allowed("GET, POST")),
    );
}
