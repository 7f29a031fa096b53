//! The consent page of the authorization endpoint: which application asks,
//! who published it, and what it may do, in plain words, with the request's
//! own parameters carried through the form. Its CSP lets the form's
//! redirect go to the client's origin.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use super::csrf;
use super::extract::SignedIn;
use super::state::PagesState;
use crate::domain::authorize::AuthorizeRequest;
use crate::domain::client::Client;
use crate::error::ApiError;
use crate::services::applications::Publisher;

/// The form field of the user's answer; `allow` approves.
pub const DECISION: &str = "decision";

#[derive(Serialize)]
struct ScopeLine {
    name: &'static str,
    description: &'static str,
}

/// The pairs a request arrived with, minus what the consent form adds.
pub fn oauth_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(k, _)| k != csrf::FIELD && k != DECISION)
        .cloned()
        .collect()
}

/// The value of the form field `name`, if sent.
pub fn field(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// The page asking `signed` to approve `request` of `client`.
pub fn page(
    pages: &PagesState,
    signed: &SignedIn,
    client: &Client,
    request: &AuthorizeRequest,
    publisher: Publisher,
    pairs: &[(String, String)],
) -> Result<HttpResponse, ApiError> {
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
    let user = &signed.user;
    let mut resp = pages.templates.page_posting_to(
        StatusCode::OK,
        "consent.html",
        minijinja::context! {
            client_name => client.name.clone().unwrap_or_else(|| client.id.to_string()),
            owner => publisher.owner,
            homepage => publisher.homepage,
            email => user.email,
            scopes => scopes,
            redirect_host => redirect_host,
            csrf_token => csrf::token(&pages.sessions, &signed.session),
            user_email => user.email,
            params => pairs,
        },
        origin(&request.redirect_uri).as_deref(),
    )?;
    resp.add_cookie(&pages.sessions.cookie(&signed.session))
        .map_err(ApiError::internal)?;
    Ok(resp)
}

/// The origin (`scheme://host:port`) of a redirect URI, for the CSP.
fn origin(uri: &str) -> Option<String> {
    let u = url::Url::parse(uri).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.origin().ascii_serialization())
}
