//! The rate-limit gate of the endpoints where clients authenticate (token,
//! introspection, revocation): refuse blocked client ids and IPs before any
//! work, and count a failed client authentication afterwards.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;

use super::AppState;
use crate::domain::client_auth;
use crate::domain::params::Params;
use crate::services::token::TokenError;
use crate::web::client_ip::client_ip;

/// Who is asking, as far as the limiter is concerned.
pub struct Gate {
    client_id: Option<String>,
    ip: Option<IpAddr>,
}

impl Gate {
    /// Refuses at once (429) if the client id or the IP is blocked.
    pub fn enter(state: &AppState, req: &HttpRequest, params: &Params) -> Result<Self, TokenError> {
        let ip = client_ip(req, &state.trusted_proxies);
        let client_id = client_auth::extract(authorization(req), params)
            .ok()
            .map(|c| c.client_id.as_str().to_owned());
        state
            .limiter
            .check(client_id.as_deref(), ip)
            .map_err(TokenError::RateLimited)?;
        Ok(Self { client_id, ip })
    }

    /// Counts the outcome: only failed client authentications count; a
    /// success marks the client id as well-behaved.
    pub fn leave<T>(&self, state: &AppState, result: &Result<T, TokenError>) {
        match result {
            Err(TokenError::OAuth(e)) if e.is_client_authentication_failure() => {
                state
                    .limiter
                    .record_failure(self.client_id.as_deref(), self.ip);
            }
            // Only a full success proves the credentials (other errors may
            // come before authentication).
            Ok(_) => {
                if let Some(id) = &self.client_id {
                    state.limiter.record_success(id);
                }
            }
            Err(_) => {}
        }
    }
}

/// The raw `Authorization` header.
pub fn authorization(req: &HttpRequest) -> Option<&[u8]> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(header::HeaderValue::as_bytes)
}
