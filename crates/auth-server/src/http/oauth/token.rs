//! `POST /oauth/token` (RFC 6749 sections 3.2, 4 and 5): form-encoded
//! request in, JSON token or RFC 6749 error out, never cached.

use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::no_store_json;
use super::throttle::ClientCall;
use crate::metrics::{self, AuthMetrics};
use crate::routes::action;
use crate::services::token::TokenError;

/// RFC 6749 5.1 success body; no refresh token for client credentials.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(action("/oauth/token", post_token).wrap(from_fn(metrics::count_token_errors)));
}

async fn post_token(
    call: ClientCall,
    metrics: web::Data<AuthMetrics>,
) -> Result<HttpResponse, TokenError> {
    let (service, params) = (&call.oauth.tokens, &call.form.params);
    let tokens = call
        .guarded(async |presented| service.token(presented, params).await)
        .await?;
    metrics.token_issued(tokens.grant_type.as_str());
    Ok(no_store_json(&TokenResponse {
        access_token: tokens.access.access_token,
        token_type: "Bearer",
        expires_in: tokens.access.expires_in,
        scope: tokens.access.scope,
        refresh_token: tokens.refresh_token,
    }))
}
