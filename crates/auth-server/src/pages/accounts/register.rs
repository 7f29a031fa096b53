//! `/accounts/register/` (e-mail and password; the same answer whether or
//! not the address is registered), `/accounts/verify/` (the mailed
//! single-use link) and `/accounts/verify/resend/`.

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
use crate::services::accounts::{self, AccountError};

#[derive(Deserialize)]
pub struct RegisterForm {
    email: Option<String>,
    password: Option<String>,
}

const ACCOUNT: (&str, &str) = ("/accounts/", "Your account");

const FORM: &str = "register.html";

pub async fn get_register(
    req: HttpRequest,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    let ctx = minijinja::context! { email => "", error => "" };
    password_form(&pages, &req, (StatusCode::OK, FORM), ctx)
}

pub async fn post_register(
    req: HttpRequest,
    CsrfChecked { form, .. }: CsrfChecked<RegisterForm, AnySession>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    if let Some(resp) = page::mail_throttled(&pages, &req, &email).await? {
        return Ok(resp);
    }
    match accounts::register(&db, &pages.mailer, &pages.base_url, &email, &password).await {
        Ok(()) => page::message(
            &pages,
            &req,
            StatusCode::OK,
            (
                "Check your inbox",
                "If this address can be registered, a message with a confirmation link is on \
                 its way. Open the link to confirm your address, then sign in.",
            ),
            ("/accounts/login/", "Go to sign-in"),
        ),
        Err(AccountError::Invalid(error)) => {
            let ctx = minijinja::context! { email, error };
            password_form(&pages, &req, (StatusCode::UNPROCESSABLE_ENTITY, FORM), ctx)
        }
        Err(e) => Err(account_error(e)),
    }
}

pub async fn get_verify(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let ok = match query.token.as_deref() {
        Some(t) => accounts::verify_email(&db, t).await?,
        None => false,
    };
    let (status, text) = if ok {
        (
            StatusCode::OK,
            (
                "Address confirmed",
                "Thank you: your e-mail address is confirmed. You can now approve applications.",
            ),
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            (
                "Link not valid",
                "This confirmation link is invalid, expired or already used. Sign in and ask \
                 for a new one from your account page.",
            ),
        )
    };
    page::message(&pages, &req, status, text, ACCOUNT)
}

pub async fn post_resend(
    req: HttpRequest,
    CsrfChecked { by: signed, .. }: CsrfChecked<()>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let user = &signed.user;
    if let Some(resp) = page::mail_throttled(&pages, &req, &user.email).await? {
        return Ok(resp);
    }
    if !user.email_verified {
        accounts::send_verification(&db, &pages.mailer, &pages.base_url, user).await?;
    }
    page::message(
        &pages,
        &req,
        StatusCode::OK,
        (
            "Link sent",
            "A new confirmation link is on its way to your address.",
        ),
        ACCOUNT,
    )
}
