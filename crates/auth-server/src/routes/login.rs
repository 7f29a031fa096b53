//! The login page (`/accounts/login/`) and logout. A successful login
//! starts a fresh session (new id, so a planted cookie is useless) and
//! returns to `next` if it is a local path; anything else goes nowhere.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::token::form_config;
use super::{AppState, method_not_allowed};
use crate::db::now_unix;
use crate::domain::local_path::is_local_path;
use crate::error::ApiError;
use crate::services::users;
use crate::web::csrf;

/// Where a login without a usable `next` lands.
const DEFAULT_NEXT: &str = "/accounts/login/";

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/accounts/login/")
            .app_data(form_config())
            .route(web::get().to(get_login))
            .route(web::post().to(post_login))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/accounts/logout/")
            .app_data(form_config())
            .route(web::post().to(post_logout))
            .default_service(method_not_allowed("POST")),
    );
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .unwrap_or(DEFAULT_NEXT)
        .to_owned()
}

async fn get_login(
    req: HttpRequest,
    query: web::Query<NextQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = now_unix();
    let session = state
        .sessions
        .read(&req, now)
        .unwrap_or_else(|| state.sessions.start(None, now));
    let mut resp = state.templates.page(
        StatusCode::OK,
        "login.html",
        minijinja::context! {
            csrf_token => csrf::token(&state.sessions, &session),
            next => safe_next(query.next.as_deref()),
            email => "",
            error => "",
        },
    )?;
    resp.add_cookie(&state.sessions.cookie(&session))
        .map_err(ApiError::internal)?;
    Ok(resp)
}

async fn post_login(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = now_unix();
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let Some(session) = state.sessions.read(&req, now) else {
        return state.templates.error_page(
            StatusCode::FORBIDDEN,
            "your session expired or cookies are disabled; open the sign-in page again",
        );
    };
    if !csrf::verify(&state.sessions, &session, form.csrf_token.as_deref()) {
        return state.templates.error_page(
            StatusCode::FORBIDDEN,
            "the form expired or was not sent from this site; open the sign-in page again",
        );
    }
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let user = users::authenticate(&state.db, &email, &password)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let Some(user) = user else {
        tracing::info!("login failed");
        return state.templates.page(
            StatusCode::UNAUTHORIZED,
            "login.html",
            minijinja::context! {
                csrf_token => csrf::token(&state.sessions, &session),
                next => next,
                email => email,
                error => "Wrong email or password.",
            },
        );
    };
    let fresh = state.sessions.start(Some(user.id.clone()), now);
    tracing::info!(user_id = %user.id, "user logged in");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(state.sessions.cookie(&fresh))
        .finish())
}

async fn post_logout(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(session) = state.sessions.read(&req, now_unix())
        && !csrf::verify(&state.sessions, &session, form.csrf_token.as_deref())
    {
        return state
            .templates
            .error_page(StatusCode::FORBIDDEN, "the form expired; try again");
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, DEFAULT_NEXT))
        .cookie(state.sessions.removal())
        .finish())
}
