//! `/accounts/password_reset/`: the request form (the same answer whether
//! or not the address is registered) and `confirm/`, reached by the mailed
//! single-use link (30 minutes), where the new password is set. Setting it
//! ends every session of the user.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;

use super::{TokenQuery, account_error, password_form};
use crate::error::ApiError;
use crate::pages::extract::AnySession;
use crate::pages::page;
use crate::pages::posted::CsrfChecked;
use crate::pages::state::PagesState;
use crate::services::accounts::{self, AccountError, LinkPurpose};

#[derive(Deserialize)]
pub struct RequestForm {
    email: Option<String>,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: Option<String>,
    password: Option<String>,
}

const SIGN_IN: &str = "/accounts/login/";

fn invalid_link(pages: &PagesState, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    page::message(
        pages,
        req,
        StatusCode::BAD_REQUEST,
        (
            "Link not valid",
            "This reset link is invalid, expired or already used. Ask for a new one.",
        ),
        ("/accounts/password_reset/", "Reset your password"),
    )
}

const CONFIRM: &str = "reset_confirm.html";

pub async fn get_request(
    req: HttpRequest,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    let ctx = minijinja::context! {};
    page::visitor_page(&pages, &req, StatusCode::OK, "reset_request.html", ctx)
}

pub async fn post_request(
    req: HttpRequest,
    CsrfChecked { form, .. }: CsrfChecked<RequestForm, AnySession>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let email = form.email.unwrap_or_default();
    if let Some(resp) = page::mail_throttled(&pages, &req, &email).await? {
        return Ok(resp);
    }
    accounts::request_reset(&db, &pages.mailer, &pages.base_url, &email).await?;
    page::message(
        &pages,
        &req,
        StatusCode::OK,
        (
            "Check your inbox",
            "If an account uses this address, a message with a link to choose a new password \
             is on its way. The link works once, for 30 minutes.",
        ),
        (SIGN_IN, "Go to sign-in"),
    )
}

pub async fn get_confirm(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let token = query.token.clone().unwrap_or_default();
    let live = accounts::peek_link(&db, &token, LinkPurpose::Reset).await?;
    if live.is_none() {
        return invalid_link(&pages, &req);
    }
    let ctx = minijinja::context! { token, error => "" };
    password_form(&pages, &req, (StatusCode::OK, CONFIRM), ctx)
}

pub async fn post_confirm(
    req: HttpRequest,
    CsrfChecked { form, .. }: CsrfChecked<ConfirmForm, AnySession>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let token = form.token.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    match accounts::reset_password(&db, &token, &password).await {
        Ok(true) => page::message(
            &pages,
            &req,
            StatusCode::OK,
            (
                "Password changed",
                "Your new password is set and every earlier session has ended. Sign in with it \
                 now.",
            ),
            (SIGN_IN, "Sign in"),
        ),
        Ok(false) => invalid_link(&pages, &req),
        Err(AccountError::Invalid(error)) => {
            let ctx = minijinja::context! { token, error };
            password_form(
                &pages,
                &req,
                (StatusCode::UNPROCESSABLE_ENTITY, CONFIRM),
                ctx,
            )
        }
        Err(e) => Err(account_error(e)),
    }
}
