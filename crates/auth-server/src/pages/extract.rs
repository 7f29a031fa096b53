//! Who is behind a request, as handler arguments. The signed-in user: a
//! session cookie that is intact and unexpired, whose user still exists, is
//! not disabled, and whose session generation is current (logout and
//! password reset bump the generation, so a copied cookie dies with them).
//! A page that needs a user answers anyone else with the login page, coming
//! back afterwards. A visitor: the session of the cookie, or a new one.

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use idmap_storage::Database;

use super::page::{self, see_other};
use super::session::Session;
use super::state::PagesState;
use crate::db::users::UserRow;
use crate::error::{ApiError, app_data};
use crate::services::users;
use idmap_common::clock::now_unix;

/// The future of an extractor that awaits something (a body, the database).
pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A signed-in user and their session.
pub struct SignedIn {
    pub session: Session,
    pub user: UserRow,
}

impl SignedIn {
    /// Renders `name` for this user (see [`page::render`]).
    pub fn page(
        &self,
        pages: &PagesState,
        status: StatusCode,
        name: &str,
        ctx: minijinja::Value,
    ) -> Result<HttpResponse, ApiError> {
        page::render(
            pages,
            &self.session,
            Some(&self.user.email),
            status,
            name,
            ctx,
        )
    }
}

/// The signed-in user if there is one, for pages that also serve visitors.
pub struct CurrentUser(pub Option<SignedIn>);

/// A signed-in user whose address is verified: one who may approve
/// applications.
pub struct VerifiedUser(pub SignedIn);

/// The answer to a visitor on a page that needs a user: a 303 to the login
/// page, which comes back to this request's path and query.
#[derive(Debug, thiserror::Error)]
#[error("sign-in required")]
pub struct ToLogin {
    login: String,
}

impl ToLogin {
    /// The way to the login page and back to `req`.
    pub fn back_to(req: &HttpRequest) -> Self {
        let next = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        let login = format!(
            "/accounts/login/?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        );
        Self { login }
    }
}

impl ResponseError for ToLogin {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        see_other(&self.login)
    }
}

const VERIFY_FIRST: &str = "Confirm your e-mail address before approving applications: open the \
     link we mailed you (your account page at /accounts/ can send it again).";

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = app_data::<PagesState>(req).and_then(|pages| {
            Ok((
                pages.sessions.read(req, now_unix()),
                app_data::<Database>(req)?,
            ))
        });
        Box::pin(async move {
            let (session, db) = found?;
            let Some(session) = session else {
                return Ok(Self(None));
            };
            let Some(uid) = session.uid.clone() else {
                return Ok(Self(None));
            };
            let user = users::find(&db, &uid)
                .await?
                .filter(|u| !u.disabled && u.session_generation == session.generation);
            Ok(Self(user.map(|user| SignedIn { session, user })))
        })
    }
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let to_login = ToLogin::back_to(req);
        Box::pin(async move { current.await?.0.ok_or_else(|| to_login.into()) })
    }
}

impl FromRequest for VerifiedUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = SignedIn::from_request(req, payload);
        let pages = app_data::<PagesState>(req);
        Box::pin(async move {
            let signed = signed.await?;
            if signed.user.email_verified {
                return Ok(Self(signed));
            }
            let page = pages?
                .templates
                .error(StatusCode::FORBIDDEN, VERIFY_FIRST)?;
            Err(page.into())
        })
    }
}

/// The request's session, or a new anonymous one: a visitor's (its cookie
/// is set when a page is rendered in it).
pub struct AnySession(pub Session);

impl FromRequest for AnySession {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(app_data::<PagesState>(req).map(|pages| Self(page::session(&pages, req))))
    }
}

/// The session of the request's cookie, which a form posted without one
/// (expired, or cookies disabled) cannot be checked against: refused with
/// a page saying so.
pub struct ExistingSession(pub Session);

const NO_SESSION: &str =
    "Your session expired or cookies are disabled. Open the sign-in page again.";

impl FromRequest for ExistingSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::read(req))
    }
}

impl ExistingSession {
    fn read(req: &HttpRequest) -> Result<Self, actix_web::Error> {
        let pages = app_data::<PagesState>(req)?;
        match pages.sessions.read(req, now_unix()) {
            Some(session) => Ok(Self(session)),
            None => Err(pages
                .templates
                .error(StatusCode::FORBIDDEN, NO_SESSION)?
                .into()),
        }
    }
}
