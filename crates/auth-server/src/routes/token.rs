//! `POST /oauth/token` (RFC 6749 sections 3.2, 4 and 5): form-encoded
//! request in, JSON token or RFC 6749 error out, never cached.

use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::throttle::{Gate, authorization};
use super::{AppState, method_not_allowed};
use crate::domain::params::Params;
use crate::error::{form_error, no_store};
use crate::metrics;
use crate::services::token::TokenError;

/// Largest form body accepted by the OAuth endpoints.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

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

/// The form settings of every OAuth form endpoint.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(MAX_FORM_BYTES)
        .error_handler(form_error)
}

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/token")
            .app_data(form_config())
            .wrap(from_fn(metrics::count_token_errors))
            .route(web::post().to(post_token))
            .default_service(method_not_allowed("POST")),
    );
}

async fn post_token(
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let params = Params::from_pairs(form.into_inner())?;
    let gate = Gate::enter(&state, &req, &params)?;
    let result = state.tokens.token(authorization(&req), &params).await;
    gate.leave(&state, &result).await;
    let tokens = result?;
    state.metrics.token_issued(tokens.grant_type.as_str());
    let mut builder = HttpResponse::Ok();
    no_store(&mut builder);
    Ok(builder.json(TokenResponse {
        access_token: tokens.access.access_token,
        token_type: "Bearer",
        expires_in: tokens.access.expires_in,
        scope: tokens.access.scope,
        refresh_token: tokens.refresh_token,
    }))
}
