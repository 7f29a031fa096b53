//! `GET /oauth/authorize` (validate, then log in or show consent) and
//! `POST /oauth/authorize` (the consent form: CSRF-checked, validated
//! again, then a code or, for the implicit grant, a token in the fragment).
//! Bad client or redirect URI: an error page; other errors: redirected back
//! (RFC 6749 4.1.2.1) to a client an operator registered, an error page
//! for anyone else's (RFC 9700 4.11.2). Once the user is known, the scopes
//! are narrowed to those the user is entitled to, so the consent page
//! never offers one the user may not hold.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::token::form_config;
use super::{AppState, method_not_allowed};
use crate::db::users::UserRow;
use crate::domain::authorize::{self, AuthorizeError, AuthorizeRequest, ResponseType};
use crate::domain::client::{Client, ClientId};
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::error::ApiError;
use crate::services::{applications, authorize as issue, consents, entitlements};
use crate::web::session::Session;
use crate::web::{csrf, current, page};

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/authorize")
            .app_data(form_config())
            .route(web::get().to(get_authorize))
            .route(web::post().to(post_authorize))
            .default_service(method_not_allowed("GET, POST")),
    );
}

#[derive(Serialize)]
struct ScopeLine {
    name: &'static str,
    description: &'static str,
}

/// The pairs a request arrived with, minus what the consent form adds.
fn oauth_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(k, _)| k != csrf::FIELD && k != "decision")
        .cloned()
        .collect()
}

/// Validates a request; `Err` is the response to send instead.
async fn validated(
    state: &AppState,
    pairs: Vec<(String, String)>,
) -> Result<(Client, AuthorizeRequest), Box<HttpResponse>> {
    let params = Params::from_pairs(pairs)
        .map_err(|e| refused(state, AuthorizeError::Page(e.description)))?;
    let client = match params.get("client_id").and_then(ClientId::parse) {
        Some(id) => state
            .tokens
            .load_client(&id)
            .await
            .map_err(|e| Box::new(actix_web::ResponseError::error_response(&e)))?,
        None => {
            return Err(refused(
                state,
                AuthorizeError::Page("client_id is missing or malformed".into()),
            ));
        }
    };
    let issuer = state.tokens.issuer().issuer();
    match authorize::validate(&params, client.as_ref(), issuer, state.implicit_enabled) {
        Ok(req) => match client {
            Some(c) => Ok((c, req)),
            None => Err(refused(
                state,
                AuthorizeError::Page("unknown client".into()),
            )),
        },
        Err(e) => Err(refused(state, e)),
    }
}

/// The request narrowed to the scopes `user` is entitled to; `Err` is the
/// response to send instead.
async fn for_user(
    state: &AppState,
    client: &Client,
    request: AuthorizeRequest,
    user: &UserRow,
) -> Result<AuthorizeRequest, HttpResponse> {
    let held = entitlements::held_by(&state.db, &user.id)
        .await
        .map_err(|_| actix_web::ResponseError::error_response(&ApiError::Unavailable))?;
    authorize::for_user(client, request, &held, state.tokens.issuer().issuer())
        .map_err(|e| *refused(state, e))
}

/// The answer to a refused request: our error page, or the redirect back.
fn refused(state: &AppState, e: AuthorizeError) -> Box<HttpResponse> {
    Box::new(match e {
        AuthorizeError::Page(msg) => state
            .templates
            .error_page(StatusCode::BAD_REQUEST, &msg)
            .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)),
        AuthorizeError::Redirect {
            redirect_uri,
            state: st,
            error,
            fragment,
        } => redirect(&authorize::error_redirect(
            &redirect_uri,
            st.as_deref(),
            &error,
            fragment,
        )),
    })
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The signed-in user, or the response to send instead: the login page
/// (coming back here), or a refusal for an unverified address.
async fn approver(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Result<(Session, UserRow), HttpResponse>, ApiError> {
    let Some((session, user)) = current::signed_in(state, req).await? else {
        return Ok(Err(page::to_login(req)));
    };
    if !user.email_verified {
        return Ok(Err(state.templates.error_page(
            StatusCode::FORBIDDEN,
            "Confirm your e-mail address before approving applications: open the link we \
             mailed you (your account page at /accounts/ can send it again).",
        )?));
    }
    Ok(Ok((session, user)))
}

/// The origin (`scheme://host:port`) of a redirect URI, for the CSP.
fn origin(uri: &str) -> Option<String> {
    let u = url::Url::parse(uri).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.origin().ascii_serialization())
}

async fn get_authorize(
    req: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = oauth_pairs(&query.into_inner());
    let (client, request) = match validated(&state, pairs.clone()).await {
        Ok(v) => v,
        Err(resp) => return Ok(*resp),
    };
    let (session, user) = match approver(&state, &req).await? {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    let request = match for_user(&state, &client, request, &user).await {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    if consents::is_remembered(&state.db, &user.id, client.id.as_str(), &request.scopes).await? {
        return grant(&state, &client, &user.id, &request).await;
    }
    let scopes: Vec<ScopeLine> = request
        .scopes
        .iter()
        .map(|s| ScopeLine {
            name: s.as_str(),
            description: s.description(),
        })
        .collect();
    let redirect_host = url::Url::parse(&request.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let publisher = applications::publisher(&state.db, client.id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut resp = state.templates.page_posting_to(
        StatusCode::OK,
        "consent.html",
        minijinja::context! {
            client_name => client.name.clone().unwrap_or_else(|| client.id.to_string()),
            owner => publisher.owner,
            homepage => publisher.homepage,
            email => user.email,
            scopes => scopes,
            redirect_host => redirect_host,
            csrf_token => csrf::token(&state.sessions, &session),
            user_email => user.email,
            params => pairs,
        },
        origin(&request.redirect_uri).as_deref(),
    )?;
    resp.add_cookie(&state.sessions.cookie(&session))
        .map_err(ApiError::internal)?;
    Ok(resp)
}

async fn post_authorize(
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let all = form.into_inner();
    let csrf_value = all
        .iter()
        .find(|(k, _)| k == csrf::FIELD)
        .map(|(_, v)| v.clone());
    let decision = all
        .iter()
        .find(|(k, _)| k == "decision")
        .map(|(_, v)| v.clone());
    let pairs = oauth_pairs(&all);
    let (client, request) = match validated(&state, pairs).await {
        Ok(v) => v,
        Err(resp) => return Ok(*resp),
    };
    let (session, user) = match approver(&state, &req).await? {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    let request = match for_user(&state, &client, request, &user).await {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    if !csrf::verify(&state.sessions, &session, csrf_value.as_deref()) {
        return state.templates.error_page(
            StatusCode::FORBIDDEN,
            "the form expired or was not sent from this site; start again",
        );
    }
    let fragment = request.response_type == ResponseType::Token;
    let state_param = request.state.as_deref();
    if decision.as_deref() != Some("allow") {
        let e = OAuthError::access_denied("the user denied the request");
        return Ok(redirect(&authorize::error_redirect(
            &request.redirect_uri,
            state_param,
            &e,
            fragment,
        )));
    }
    consents::remember(&state.db, &user.id, client.id.as_str(), &request.scopes).await?;
    grant(&state, &client, &user.id, &request).await
}

/// Issues what the request asked for and redirects back to the client.
async fn grant(
    state: &AppState,
    client: &Client,
    uid: &str,
    request: &AuthorizeRequest,
) -> Result<HttpResponse, ApiError> {
    let state_param = request.state.as_deref();
    let location = match request.response_type {
        ResponseType::Code => {
            let code = issue::issue_code(&state.db, client, uid, request).await?;
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = state_param {
                pairs.push(("state", s));
            }
            authorize::redirect_with(&request.redirect_uri, &pairs, false)
        }
        ResponseType::Token => {
            let issued = issue::issue_implicit(state.tokens.issuer(), client, uid, request)
                .map_err(ApiError::internal)?;
            state.metrics.token_issued("implicit");
            let expires = issued.expires_in.to_string();
            let mut pairs = vec![
                ("access_token", issued.access_token.as_str()),
                ("token_type", "Bearer"),
                ("expires_in", expires.as_str()),
                ("scope", issued.scope.as_str()),
            ];
            if let Some(s) = state_param {
                pairs.push(("state", s));
            }
            authorize::redirect_with(&request.redirect_uri, &pairs, true)
        }
    };
    tracing::info!(client_id = %client.id, response_type = ?request.response_type, "authorization granted");
    Ok(redirect(&location))
}
