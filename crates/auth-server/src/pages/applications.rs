//! `/oauth/applications/`: the applications (OAuth clients) the signed-in
//! user owns: list, `register/`, `{id}/`, `{id}/update/`, `{id}/delete/`.
//! Registering and changing one needs a verified address.
//! A confidential application's secret is on the page that answers the
//! registration, and nowhere else. Another user's application answers 404.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;

use super::extract::{LocalBoxFuture, SignedIn};
use super::page;
use super::posted::CsrfChecked;
use super::state::PagesState;
use crate::db::users::UserRow;
use crate::domain::client_secret::SecretHasher;
use crate::error::{ApiError, app_data};
use crate::routes::{form, view};
use crate::services::applications::{self, ApplicationInput, ApplicationView};
use crate::services::clients::AdminError;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(view("/oauth/applications/", list_applications))
        .service(form(
            "/oauth/applications/register/",
            get_register,
            post_register,
        ))
        .service(view("/oauth/applications/{id}/", get_application))
        .service(form(
            "/oauth/applications/{id}/update/",
            get_update,
            post_update,
        ))
        .service(form(
            "/oauth/applications/{id}/delete/",
            get_delete,
            post_delete,
        ));
}

#[derive(Deserialize)]
pub struct ApplicationForm {
    name: Option<String>,
    redirect_uris: Option<String>,
    homepage: Option<String>,
    client_type: Option<String>,
}

impl ApplicationForm {
    /// The checked input, or why it was refused.
    fn input(&self) -> Result<ApplicationInput, AdminError> {
        Ok(ApplicationInput {
            name: self.name.clone().unwrap_or_default(),
            redirect_uris: applications::parse_redirect_uris(
                self.redirect_uris.as_deref().unwrap_or_default(),
            )?,
            homepage: applications::parse_homepage(self.homepage.as_deref())?,
        })
    }

    /// What the form showed, to show it again with an error.
    fn echo(&self) -> minijinja::Value {
        minijinja::context! {
            name => self.name.clone().unwrap_or_default(),
            redirect_uris => self.redirect_uris.clone().unwrap_or_default(),
            homepage => self.homepage.clone().unwrap_or_default(),
        }
    }
}

async fn owned(db: &Database, user: &UserRow, id: &str) -> Result<ApplicationView, ApiError> {
    applications::get(db, &user.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The application form again, with what was refused and why.
fn refused_form(
    pages: &PagesState,
    signed: &SignedIn,
    e: AdminError,
    ctx: minijinja::Value,
) -> Result<HttpResponse, ApiError> {
    let (status, error) = match e {
        AdminError::Invalid(m) | AdminError::Conflict(m) | AdminError::NotFound(m) => {
            (StatusCode::UNPROCESSABLE_ENTITY, m)
        }
        AdminError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
        AdminError::Storage(_) => return Err(ApiError::Unavailable),
    };
    let ctx = minijinja::context! { error => error, ..ctx };
    signed.page(pages, status, "application_form.html", ctx)
}

/// The signed-in user's application named by the path (`{id}`).
pub struct Owned {
    signed: SignedIn,
    app: ApplicationView,
}

impl FromRequest for Owned {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = SignedIn::from_request(req, payload);
        let id = web::Path::<String>::from_request(req, payload);
        let db = app_data::<Database>(req);
        Box::pin(async move {
            let signed = signed.await?;
            let app = owned(&*db?, &signed.user, &id.await?).await?;
            Ok(Self { signed, app })
        })
    }
}

impl Owned {
    /// The application on the page `name`.
    fn page(self, pages: &PagesState, name: &str) -> Result<HttpResponse, ApiError> {
        let app = self.app;
        self.signed
            .page(pages, StatusCode::OK, name, minijinja::context! { app })
    }
}

/// Shown instead of the form to a user whose address is not verified.
const VERIFY_FIRST: &str = "Confirm your e-mail address before registering applications: open \
     the link we mailed you (your account page can send it again).";

pub async fn list_applications(
    signed: SignedIn,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let apps = applications::list(&db, &signed.user.id).await?;
    signed.page(
        &pages,
        StatusCode::OK,
        "applications.html",
        minijinja::context! { apps => apps },
    )
}

pub async fn get_register(
    signed: SignedIn,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    let (status, error) = if signed.user.email_verified {
        (StatusCode::OK, "")
    } else {
        (StatusCode::FORBIDDEN, VERIFY_FIRST)
    };
    signed.page(
        &pages,
        status,
        "application_form.html",
        minijinja::context! {
            name => "", redirect_uris => "", homepage => "", client_type => "confidential",
            error => error,
        },
    )
}

pub async fn post_register(
    CsrfChecked { form, by: signed }: CsrfChecked<ApplicationForm>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
    hasher: web::Data<SecretHasher>,
) -> Result<HttpResponse, ApiError> {
    let public = form.client_type.as_deref() == Some("public");
    let created = match form.input() {
        Ok(input) => applications::register(&db, &hasher, &signed.user, input, public).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => {
            tracing::info!(client_id = %created.client_id, "application registered");
            let app = owned(&db, &signed.user, &created.client_id).await?;
            signed.page(
                &pages,
                StatusCode::CREATED,
                "application.html",
                minijinja::context! { app => app, secret => created.client_secret },
            )
        }
        Err(e) => refused_form(
            &pages,
            &signed,
            e,
            minijinja::context! {
                client_type => if public { "public" } else { "confidential" },
                ..form.echo()
            },
        ),
    }
}

pub async fn get_application(
    owned: Owned,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    owned.page(&pages, "application.html")
}

pub async fn get_update(
    Owned { signed, app }: Owned,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    signed.page(
        &pages,
        StatusCode::OK,
        "application_form.html",
        minijinja::context! {
            client_id => app.client_id, name => app.name,
            redirect_uris => app.redirect_uris.join("\n"),
            homepage => app.homepage.unwrap_or_default(), error => "",
        },
    )
}

pub async fn post_update(
    path: web::Path<String>,
    CsrfChecked { form, by: signed }: CsrfChecked<ApplicationForm>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let app = owned(&db, &signed.user, &path).await?;
    let result = match form.input() {
        Ok(input) => applications::update(&db, &signed.user, &app.client_id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(true) => Ok(page::see_other(&format!(
            "/oauth/applications/{}/",
            app.client_id
        ))),
        Ok(false) => Err(ApiError::NotFound),
        Err(e) => refused_form(
            &pages,
            &signed,
            e,
            minijinja::context! { client_id => app.client_id, ..form.echo() },
        ),
    }
}

pub async fn get_delete(
    owned: Owned,
    pages: web::Data<PagesState>,
) -> Result<HttpResponse, ApiError> {
    owned.page(&pages, "application_delete.html")
}

pub async fn post_delete(
    path: web::Path<String>,
    CsrfChecked { by: signed, .. }: CsrfChecked<()>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    if !applications::delete(&db, &signed.user.id, &path).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(client_id = %path, "application deleted");
    Ok(page::see_other("/oauth/applications/"))
}
