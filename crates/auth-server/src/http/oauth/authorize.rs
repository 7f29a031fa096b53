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

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use idmap_storage::Database;

use crate::domain::authorize::{self, AuthorizeError, AuthorizeRequest, ResponseType};
use crate::domain::client::{Client, ClientId};
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::domain::scopes::ScopeSet;
use crate::error::ApiError;
use crate::http::state::OAuthState;
use crate::metrics::AuthMetrics;
use crate::pages::consent;
use crate::pages::csrf;
use crate::pages::extract::{LocalBoxFuture, SignedIn, VerifiedUser};
use crate::pages::state::PagesState;
use crate::pages::templates::Templates;
use crate::routes::form;
use crate::services::{applications, authorize as issue, consents, entitlements};

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(form("/oauth/authorize", get_authorize, post_authorize));
}

/// A refused request sent back to the client (RFC 6749 4.1.2.1).
#[derive(Debug, thiserror::Error)]
#[error("authorization request refused with a redirect")]
struct RedirectBack(String);

impl ResponseError for RedirectBack {
    fn status_code(&self) -> StatusCode {
        StatusCode::FOUND
    }

    fn error_response(&self) -> HttpResponse {
        redirect(&self.0)
    }
}

fn refused(templates: &Templates, e: AuthorizeError) -> actix_web::Error {
    match e {
        AuthorizeError::Page(msg) => match templates.error(StatusCode::BAD_REQUEST, &msg) {
            Ok(page) => page.into(),
            Err(e) => e.into(),
        },
        AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
            fragment,
        } => RedirectBack(authorize::error_redirect(
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

/// The pairs a request came with.
type Pairs = Vec<(String, String)>;

/// A request to approve, as both methods take it: the pairs it came with
/// (`R`: the query on GET, the consent form on POST), validated; its
/// approver, a verified user (anyone else gets the login page or a
/// refusal); the request narrowed to the scopes the approver is entitled
/// to; and the state the answer needs.
struct Approval<R> {
    received: R,
    client: Client,
    request: AuthorizeRequest,
    signed: SignedIn,
    oauth: web::Data<OAuthState>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
    metrics: web::Data<AuthMetrics>,
}

impl<R> FromRequest for Approval<R>
where
    R: FromRequest + Deref<Target = Pairs> + 'static,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(
            R,
            Result<VerifiedUser, actix_web::Error>,
            web::Data<OAuthState>,
            web::Data<PagesState>,
            web::Data<Database>,
            web::Data<AuthMetrics>,
        )>::from_request(req, payload);
        Box::pin(async move {
            let (received, approver, oauth, pages, db, metrics) = parts.await?;
            let pairs = consent::oauth_pairs(&received);
            let (client, request) = validated(&oauth, &pages.templates, pairs).await?;
            let VerifiedUser(signed) = approver?;
            let held = entitlements::held_by(&db, &signed.user.id)
                .await
                .map_err(|_| ApiError::Unavailable)?;
            let request =
                authorize::for_user(&client, request, &held, oauth.tokens.issuer().issuer())
                    .map_err(|e| refused(&pages.templates, e))?;
            Ok(Self {
                received,
                client,
                request,
                signed,
                oauth,
                pages,
                db,
                metrics,
            })
        })
    }
}

async fn get_authorize(a: Approval<web::Query<Pairs>>) -> Result<HttpResponse, actix_web::Error> {
    let (uid, client_id, scopes) = a.consent();
    let remembered = consents::is_remembered(&a.db, uid, client_id, scopes)
        .await
        .map_err(ApiError::from)?;
    if remembered {
        return Ok(a.grant().await?);
    }
    let publisher = applications::publisher(&a.db, a.client.id.as_str())
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    let pairs = consent::oauth_pairs(&a.received);
    Ok(consent::page(
        &a.pages, &a.signed, &a.client, &a.request, publisher, &pairs,
    )?)
}

async fn post_authorize(a: Approval<web::Form<Pairs>>) -> Result<HttpResponse, actix_web::Error> {
    let csrf_value = consent::field(&a.received, csrf::FIELD);
    if !csrf::verify(&a.pages.sessions, &a.signed.session, csrf_value.as_deref()) {
        return Ok(a.pages.templates.error_page(
            StatusCode::FORBIDDEN,
            "the form expired or was not sent from this site; start again",
        )?);
    }
    if consent::field(&a.received, consent::DECISION).as_deref() != Some("allow") {
        let e = OAuthError::access_denied("the user denied the request");
        let fragment = a.request.response_type == ResponseType::Token;
        return Ok(redirect(&authorize::error_redirect(
            &a.request.redirect_uri,
            a.request.state.as_deref(),
            &e,
            fragment,
        )));
    }
    let (uid, client_id, scopes) = a.consent();
    consents::remember(&a.db, uid, client_id, scopes)
        .await
        .map_err(ApiError::from)?;
    Ok(a.grant().await?)
}

impl<R> Approval<R> {
    /// The approval as consents are kept: user, client, scopes.
    fn consent(&self) -> (&str, &str, &ScopeSet) {
        (
            &self.signed.user.id,
            self.client.id.as_str(),
            &self.request.scopes,
        )
    }

    /// Issues what the request asked for and redirects back to the client.
    async fn grant(&self) -> Result<HttpResponse, ApiError> {
        let (client, uid, request) = (&self.client, &self.signed.user.id, &self.request);
        let state_param = request.state.as_deref();
        let location = match request.response_type {
            ResponseType::Code => {
                let code = issue::issue_code(&self.db, client, uid, request).await?;
                let mut pairs = vec![("code", code.as_str())];
                if let Some(s) = state_param {
                    pairs.push(("state", s));
                }
                authorize::redirect_with(&request.redirect_uri, &pairs, false)
            }
            ResponseType::Token => {
                let issued =
                    issue::issue_implicit(self.oauth.tokens.issuer(), client, uid, request)
                        .map_err(ApiError::internal)?;
                self.metrics.token_issued("implicit");
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
}
