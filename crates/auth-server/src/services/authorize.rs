//! The authorization endpoint's use cases once the user has consented:
//! storing a single-use code bound to client, user, redirect URI, scopes,
//! resource and PKCE challenge, or (implicit grant) signing a token.

use idmap_storage::{Database, StorageError};

use super::issuer::{IssuedToken, TokenIssuer};
use super::token::TokenError;
use crate::db::auth_codes::{self, CodeRow};
use crate::domain::authorize::AuthorizeRequest;
use crate::domain::client::Client;
use crate::domain::grants::AccessGrant;
use crate::domain::grants::authorization_code::CODE_TTL;
use crate::domain::opaque::OpaqueToken;
use crate::domain::resource;
use idmap_common::clock::now_unix;

/// Stores a new code and returns its plaintext (sent once, in the redirect).
pub async fn issue_code(
    db: &Database,
    client: &Client,
    user_id: &str,
    request: &AuthorizeRequest,
) -> Result<String, StorageError> {
    let code = OpaqueToken::generate();
    let now = now_unix();
    let row = CodeRow {
        code_hash: code.hash(),
        client_id: client.id.as_str().to_owned(),
        user_id: user_id.to_owned(),
        redirect_uri: request.redirect_uri.clone(),
        scopes: request.scopes.to_string(),
        resource: request.resource.clone(),
        code_challenge: request.challenge.as_ref().map(|c| c.as_str().to_owned()),
        created_at: now,
        expires_at: now + CODE_TTL,
        used_at: None,
        family_id: None,
        access_jti: None,
        access_expires_at: None,
        redirect_uri_given: request.redirect_uri_given,
    };
    db.transaction(move |c| Ok(auth_codes::insert(c, &row)?))
        .await?;
    Ok(code.expose().to_owned())
}

/// The implicit grant: an access token straight away, no refresh token.
pub fn issue_implicit(
    issuer: &TokenIssuer,
    client: &Client,
    user_id: &str,
    request: &AuthorizeRequest,
) -> Result<IssuedToken, TokenError> {
    let kind = request
        .resource
        .as_deref()
        .map(|r| resource::parse(r, issuer.issuer()))
        .transpose()?;
    let grant = AccessGrant {
        subject: user_id.to_owned(),
        client_id: client.id.clone(),
        scopes: resource::narrow(&request.scopes, kind)?,
        partner: None,
    };
    Ok(issuer.issue(&grant)?)
}
