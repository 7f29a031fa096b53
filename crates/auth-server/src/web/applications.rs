//! `/oauth/applications/`: the applications (OAuth clients) the signed-in
//! user owns: list, `register/`, `{id}/`, `{id}/update/`, `{id}/delete/`.
//! Registering and changing one needs a verified address.
//! A confidential application's secret is on the page that answers the
//! registration, and nowhere else. Another user's application answers 404.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::db::users::UserRow;
use crate::error::ApiError;
use crate::routes::token::form_config;
use crate::routes::{AppState, method_not_allowed};
use crate::services::applications::{self, ApplicationInput, ApplicationView};
use crate::services::clients::AdminError;
use crate::web::session::Session;
use crate::web::{current, page};

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/applications/")
            .route(web::get().to(list_applications))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/oauth/applications/register/")
            .app_data(form_config())
            .route(web::get().to(get_register))
            .route(web::post().to(post_register))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/oauth/applications/{id}/")
            .route(web::get().to(get_application))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/oauth/applications/{id}/update/")
            .app_data(form_config())
            .route(web::get().to(get_update))
            .route(web::post().to(post_update))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/oauth/applications/{id}/delete/")
            .app_data(form_config())
            .route(web::get().to(get_delete))
            .route(web::post().to(post_delete))
            .default_service(method_not_allowed("GET, POST")),
    );
}

#[derive(Deserialize)]
pub struct ApplicationForm {
    name: Option<String>,
    redirect_uris: Option<String>,
    homepage: Option<String>,
    client_type: Option<String>,
    csrf_token: Option<String>,
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

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

type Signed = (Session, UserRow);

async fn signed(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Result<Signed, HttpResponse>, ApiError> {
    Ok(current::signed_in(state, req)
        .await?
        .ok_or_else(|| page::to_login(req)))
}

fn render(
    state: &AppState,
    (session, user): &Signed,
    status: StatusCode,
    name: &str,
    ctx: minijinja::Value,
) -> Result<HttpResponse, ApiError> {
    page::render(state, session, Some(&user.email), status, name, ctx)
}

async fn owned(state: &AppState, user: &UserRow, id: &str) -> Result<ApplicationView, ApiError> {
    applications::get(&state.db, &user.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The application form again, with what was refused and why.
fn refused_form(
    state: &AppState,
    signed: &Signed,
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
    render(state, signed, status, "application_form.html", ctx)
}

/// Shown instead of the form to a user whose address is not verified.
const VERIFY_FIRST: &str = "Confirm your e-mail address before registering applications: open \
     the link we mailed you (your account page can send it again).";

pub async fn list_applications(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let apps = applications::list(&state.db, &s.1.id).await?;
    render(
        &state,
        &s,
        StatusCode::OK,
        "applications.html",
        minijinja::context! { apps => apps },
    )
}

pub async fn get_register(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (status, error) = if s.1.email_verified {
        (StatusCode::OK, "")
    } else {
        (StatusCode::FORBIDDEN, VERIFY_FIRST)
    };
    render(
        &state,
        &s,
        status,
        "application_form.html",
        minijinja::context! {
            name => "", redirect_uris => "", homepage => "", client_type => "confidential",
            error => error,
        },
    )
}

pub async fn post_register(
    req: HttpRequest,
    form: web::Form<ApplicationForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !page::csrf_ok(&state, &s.0, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    let public = form.client_type.as_deref() == Some("public");
    let created = match form.input() {
        Ok(input) => applications::register(&state.db, &state.hasher, &s.1, input, public).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => {
            tracing::info!(client_id = %created.client_id, "application registered");
            let app = owned(&state, &s.1, &created.client_id).await?;
            render(
                &state,
                &s,
                StatusCode::CREATED,
                "application.html",
                minijinja::context! { app => app, secret => created.client_secret },
            )
        }
        Err(e) => refused_form(
            &state,
            &s,
            e,
            minijinja::context! {
                client_type => if public { "public" } else { "confidential" },
                ..form.echo()
            },
        ),
    }
}

pub async fn get_application(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let app = owned(&state, &s.1, &path).await?;
    render(
        &state,
        &s,
        StatusCode::OK,
        "application.html",
        minijinja::context! { app => app },
    )
}

pub async fn get_update(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let app = owned(&state, &s.1, &path).await?;
    render(
        &state,
        &s,
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
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ApplicationForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !page::csrf_ok(&state, &s.0, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    let app = owned(&state, &s.1, &path).await?;
    let result = match form.input() {
        Ok(input) => applications::update(&state.db, &s.1, &app.client_id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(true) => Ok(page::see_other(&format!(
            "/oauth/applications/{}/",
            app.client_id
        ))),
        Ok(false) => Err(ApiError::NotFound),
        Err(e) => refused_form(
            &state,
            &s,
            e,
            minijinja::context! { client_id => app.client_id, ..form.echo() },
        ),
    }
}

pub async fn get_delete(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let app = owned(&state, &s.1, &path).await?;
    render(
        &state,
        &s,
        StatusCode::OK,
        "application_delete.html",
        minijinja::context! { app => app },
    )
}

pub async fn post_delete(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = match signed(&state, &req).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !page::csrf_ok(&state, &s.0, form.csrf_token.as_deref()) {
        return page::csrf_refused(&state);
    }
    if !applications::delete(&state.db, &s.1.id, &path).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(client_id = %path, "application deleted");
    Ok(page::see_other("/oauth/applications/"))
}
