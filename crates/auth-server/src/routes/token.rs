//! `POST /oauth/token` (RFC 6749 sections 3.2, 4.4 and 5): form-encoded
//! request in, JSON token or RFC 6749 error out, never cached.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{AppState, method_not_allowed};
use crate::domain::params::Params;
use crate::error::{form_error, no_store};
use crate::services::token::TokenError;

/// Largest token request body accepted.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// RFC 6749 5.1 success body; no refresh token for client credentials.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
}

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/token")
            .app_data(
                web::FormConfig::default()
                    .limit(MAX_FORM_BYTES)
                    .error_handler(form_error),
            )
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
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(header::HeaderValue::as_bytes);
    let issued = state.tokens.token(authorization, &params).await?;
    let mut builder = HttpResponse::Ok();
    no_store(&mut builder);
    Ok(builder.json(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: issued.scope,
    }))
}
