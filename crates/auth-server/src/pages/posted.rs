//! A posted page form as a handler argument: its fields, who posted it,
//! and its CSRF token checked against their session before the handler
//! runs, so every page refuses a forged or stale post with the same page.
//! The consent form is the exception: it is checked after its request is
//! validated (`http::oauth::authorize`), so a bad request is answered as
//! one first.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::csrf;
use super::extract::{AnySession, CurrentUser, ExistingSession, LocalBoxFuture, SignedIn};
use super::session::Session;
use super::state::PagesState;
use crate::error::app_data;

/// Whoever posts a page form, and so the session its token must belong to.
pub trait Poster: FromRequest + 'static {
    /// `None`: nobody a forged post could act for.
    fn session(&self) -> Option<&Session>;
}

impl Poster for SignedIn {
    fn session(&self) -> Option<&Session> {
        Some(&self.session)
    }
}

/// Logging out: a visitor has no session to end.
impl Poster for CurrentUser {
    fn session(&self) -> Option<&Session> {
        self.0.as_ref().map(|signed| &signed.session)
    }
}

impl Poster for AnySession {
    fn session(&self) -> Option<&Session> {
        Some(&self.0)
    }
}

impl Poster for ExistingSession {
    fn session(&self) -> Option<&Session> {
        Some(&self.0)
    }
}

/// The form's own fields beside its token. They are read through
/// `flatten`, which gives them as strings only: fields of a page form are
/// `Option<String>` (`()` for a form of nothing but the token).
#[derive(Deserialize)]
struct WithToken<F> {
    csrf_token: Option<String>,
    #[serde(flatten)]
    fields: F,
}

/// The form `F` posted by `P`, its CSRF token checked.
pub struct CsrfChecked<F, P = SignedIn> {
    pub form: F,
    pub by: P,
}

const REFUSED: &str =
    "The form expired or was not sent from this site. Open the page again and retry.";

impl<F: DeserializeOwned + 'static, P: Poster> FromRequest for CsrfChecked<F, P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<WithToken<F>>::from_request(req, payload);
        let by = P::from_request(req, payload);
        let pages = app_data::<PagesState>(req);
        Box::pin(async move {
            // A body the form cannot take is answered before who sent it.
            let WithToken { csrf_token, fields } = form.await?.into_inner();
            let by = by.await.map_err(Into::<actix_web::Error>::into)?;
            if let Some(session) = by.session() {
                let pages = pages?;
                if !csrf::verify(&pages.sessions, session, csrf_token.as_deref()) {
                    return Err(pages
                        .templates
                        .error(StatusCode::FORBIDDEN, REFUSED)?
                        .into());
                }
            }
            Ok(Self { form: fields, by })
        })
    }
}
