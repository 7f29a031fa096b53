//! The rate-limit gate of the endpoints where clients authenticate (token,
//! introspection, revocation): refuse a blocked client id, address or
//! account before any work, and count a failure afterwards. The password
//! grant is throttled with the login form's limiter and the same keys, so
//! the two together give a guesser no more tries than the form alone.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use idmap_common::error::ErrorCode;

use super::AppState;
use crate::domain::client_auth;
use crate::domain::params::Params;
use crate::domain::user::Email;
use crate::services::token::TokenError;
use crate::web::client_ip::client_ip;

/// Who is asking, as far as the limiters are concerned.
pub struct Gate {
    client_id: Option<String>,
    ip: Option<IpAddr>,
    /// `Some` for a password grant: the account it names, if it is an address.
    password_for: Option<Option<String>>,
}

impl Gate {
    /// Refuses at once (429) if the client id from this address, the
    /// address, or (password grant) the account is blocked.
    pub fn enter(state: &AppState, req: &HttpRequest, params: &Params) -> Result<Self, TokenError> {
        let ip = client_ip(req, &state.trusted_proxies);
        let client_id = client_auth::extract(authorization(req), params)
            .ok()
            .map(|c| c.client_id.as_str().to_owned());
        state
            .limiter
            .check(client_id.as_deref(), ip)
            .map_err(TokenError::RateLimited)?;
        let password_for = (params.get("grant_type") == Some("password")).then(|| {
            params
                .get("username")
                .and_then(Email::parse)
                .map(|e| e.as_str().to_owned())
        });
        if let Some(account) = &password_for {
            state
                .login_limiter
                .check(account.as_deref(), ip)
                .map_err(TokenError::RateLimited)?;
        }
        Ok(Self {
            client_id,
            ip,
            password_for,
        })
    }

    /// Counts the outcome: a failed client authentication against the
    /// client limiter, a refused password grant against the login
    /// limiter; a success marks the client id as well-behaved.
    pub async fn leave<T>(&self, state: &AppState, result: &Result<T, TokenError>) {
        match (result, &self.password_for) {
            (Err(TokenError::OAuth(e)), _) if e.is_client_authentication_failure() => {
                state
                    .limiter
                    .record_failure(self.client_id.as_deref(), self.ip)
                    .await;
            }
            (Err(TokenError::OAuth(e)), Some(account)) if e.code == ErrorCode::InvalidGrant => {
                state
                    .login_limiter
                    .record_failure(account.as_deref(), self.ip)
                    .await;
            }
            // Only a full success proves the credentials (other errors may
            // come before authentication).
            (Ok(_), _) => {
                if let Some(id) = &self.client_id {
                    state.limiter.record_success(id);
                }
            }
            (Err(_), _) => {}
        }
    }
}

/// The raw `Authorization` header.
pub fn authorization(req: &HttpRequest) -> Option<&[u8]> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(header::HeaderValue::as_bytes)
}
