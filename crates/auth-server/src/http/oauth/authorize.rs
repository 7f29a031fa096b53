//! `GET /oauth/authorize` (validate, then log in or show consent) and
//! `POST /oauth/authorize` (the consent form: CSRF-checked, validated
//! again, then a code or, for the implicit grant, a token in the fragment).
//! Bad client or redirect URI: an error page; other errors: redirected back
//! (RFC 6749 4.1.2.1) to a client an operator registered, an error page
//! for anyone else's (RFC 9700 4.11.2). Once the user is known, the scopes
//! are narrowed to those the user is entitled to, so the consent page
//! never offers one the user may not hold. The page itself, the session
//! and the signed-in user are the pages' (`pages::consent`,
//! `pages::extract`); this file is the protocol.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError, web};
use idmap_storage::Database;

use crate::domain::authorize::{self, AuthorizeError, AuthorizeRequest, ResponseType};
use crate::domain::client::{Client, ClientId};
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::error::{ApiError, form_config, method_not_allowed};
use crate::http::state::OAuthState;
use crate::metrics::AuthMetrics;
use crate::pages::consent;
use crate::pages::csrf;
use crate::pages::extract::{SignedIn, VerifiedUser};
use crate::pages::state::PagesState;
use crate::pages::templates::Templates;
use crate::services::{applications, authorize as issue, consents, entitlements};

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

/// A refused request: our error page, or the redirect back to the client.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("authorization request refused with a page")]
    Page(String),
    #[error("authorization request refused with a redirect")]
    Redirect(String),
}

impl ResponseError for Refused {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Page(_) => StatusCode::BAD_REQUEST,
            Self::Redirect(_) => StatusCode::FOUND,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Page(html) => Templates::respond(self.status_code(), html.clone(), None),
            Self::Redirect(location) => redirect(location),
        }
    }
}

fn refused(templates: &Templates, e: AuthorizeError) -> actix_web::Error {
    match e {
        AuthorizeError::Page(msg) => match templates.error_html(&msg) {
            Ok(html) => Refused::Page(html).into(),
            Err(e) => e.into(),
        },
        AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
            fragment,
        } => Refused::Redirect(authorize::error_redirect(
            &redirect_uri,
            state.as_deref(),
            &error,
            fragment,
        ))
        .into(),
    }
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Validates a request into its client and the request itself.
async fn validated(
    oauth: &OAuthState,
    templates: &Templates,
    pairs: Vec<(String, String)>,
) -> Result<(Client, AuthorizeRequest), actix_web::Error> {
    let page = |msg: &str| refused(templates, AuthorizeError::Page(msg.into()));
    let params = Params::from_pairs(pairs).map_err(|e| page(&e.description))?;
    let id = params
        .get("client_id")
        .and_then(ClientId::parse)
        .ok_or_else(|| page("client_id is missing or malformed"))?;
    let client = oauth.tokens.load_client(&id).await?;
    let issuer = oauth.tokens.issuer().issuer();
    let request = authorize::validate(&params, client.as_ref(), issuer, oauth.implicit_enabled)
        .map_err(|e| refused(templates, e))?;
    Ok((client.ok_or_else(|| page("unknown client"))?, request))
}

/// A valid request, its approver (the login page, or a refusal for an
/// unverified address, otherwise) and the request narrowed to the scopes
/// the approver is entitled to.
async fn approvable(
    pairs: Vec<(String, String)>,
    approver: Result<VerifiedUser, actix_web::Error>,
    oauth: &OAuthState,
    pages: &PagesState,
    db: &Database,
) -> Result<(Client, AuthorizeRequest, SignedIn), actix_web::Error> {
    let (client, request) = validated(oauth, &pages.templates, pairs).await?;
    let VerifiedUser(signed) = approver?;
    let held = entitlements::held_by(db, &signed.user.id)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let request = authorize::for_user(&client, request, &held, oauth.tokens.issuer().issuer())
        .map_err(|e| refused(&pages.templates, e))?;
    Ok((client, request, signed))
}

async fn get_authorize(
    query: web::Query<Vec<(String, String)>>,
    approver: Result<VerifiedUser, actix_web::Error>,
    oauth: web::Data<OAuthState>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
    metrics: web::Data<AuthMetrics>,
) -> Result<HttpResponse, actix_web::Error> {
    let pairs = consent::oauth_pairs(&query.into_inner());
    let (client, request, signed) =
        approvable(pairs.clone(), approver, &oauth, &pages, &db).await?;
    let uid = &signed.user.id;
    if consents::is_remembered(&db, uid, client.id.as_str(), &request.scopes)
        .await
        .map_err(ApiError::from)?
    {
        return Ok(grant(&oauth, &db, &metrics, &client, uid, &request).await?);
    }
    let publisher = applications::publisher(&db, client.id.as_str())
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    Ok(consent::page(
        &pages, &signed, &client, &request, publisher, &pairs,
    )?)
}

async fn post_authorize(
    form: web::Form<Vec<(String, String)>>,
    approver: Result<VerifiedUser, actix_web::Error>,
    oauth: web::Data<OAuthState>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
    metrics: web::Data<AuthMetrics>,
) -> Result<HttpResponse, actix_web::Error> {
    let all = form.into_inner();
    let csrf_value = consent::field(&all, csrf::FIELD);
    let decision = consent::field(&all, consent::DECISION);
    let (client, request, signed) =
        approvable(consent::oauth_pairs(&all), approver, &oauth, &pages, &db).await?;
    if !consent::csrf_ok(&pages, &signed, csrf_value.as_deref()) {
        return Ok(pages.templates.error_page(
            StatusCode::FORBIDDEN,
            "the form expired or was not sent from this site; start again",
        )?);
    }
    if decision.as_deref() != Some("allow") {
        let e = OAuthError::access_denied("the user denied the request");
        let fragment = request.response_type == ResponseType::Token;
        return Ok(redirect(&authorize::error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            &e,
            fragment,
        )));
    }
    let uid = &signed.user.id;
    consents::remember(&db, uid, client.id.as_str(), &request.scopes)
        .await
        .map_err(ApiError::from)?;
    Ok(grant(&oauth, &db, &metrics, &client, uid, &request).await?)
}

/// Issues what the request asked for and redirects back to the client.
async fn grant(
    oauth: &OAuthState,
    db: &Database,
    metrics: &AuthMetrics,
    client: &Client,
    uid: &str,
    request: &AuthorizeRequest,
) -> Result<HttpResponse, ApiError> {
    let state_param = request.state.as_deref();
    let location = match request.response_type {
        ResponseType::Code => {
            let code = issue::issue_code(db, client, uid, request).await?;
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = state_param {
                pairs.push(("state", s));
            }
            authorize::redirect_with(&request.redirect_uri, &pairs, false)
        }
        ResponseType::Token => {
            let issued = issue::issue_implicit(oauth.tokens.issuer(), client, uid, request)
                .map_err(ApiError::internal)?;
            metrics.token_issued("implicit");
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
