//! `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC
//! 7009). Both require client authentication (401 when it fails) and are
//! rate-limited like the token endpoint.

use actix_web::{HttpRequest, HttpResponse, web};

use super::throttle::{Gate, authorization};
use super::token::form_config;
use super::{AppState, method_not_allowed};
use crate::domain::client::ClientKind;
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::error::no_store;
use crate::services::introspect;
use crate::services::token::TokenError;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/introspect")
            .app_data(form_config())
            .route(web::post().to(post_introspect))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/oauth/revoke")
            .app_data(form_config())
            .route(web::post().to(post_revoke))
            .default_service(method_not_allowed("POST")),
    );
}

async fn post_introspect(
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let params = Params::from_pairs(form.into_inner())?;
    let gate = Gate::enter(&state, &req, &params)?;
    // Introspection is for confidential callers (metadata says so): a
    // public client's bare client_id is no authentication here.
    let caller = state
        .tokens
        .authenticate(authorization(&req), &params)
        .await
        .and_then(|c| match c.kind {
            ClientKind::Confidential => Ok(c),
            ClientKind::Public => Err(OAuthError::invalid_client().into()),
        });
    gate.leave(&state, &caller).await;
    let caller = caller?;
    let token = params.required("token")?;
    let found = introspect::prepare(&state.verifier, Some(token))
        .read(&state.db, state.tokens.credentials())
        .await?;
    let answer = introspect::answer(&caller, found);
    state.metrics.introspected(answer.active);
    let mut builder = HttpResponse::Ok();
    no_store(&mut builder);
    Ok(builder.json(answer))
}

async fn post_revoke(
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let params = Params::from_pairs(form.into_inner())?;
    let gate = Gate::enter(&state, &req, &params)?;
    let caller = state
        .tokens
        .authenticate(authorization(&req), &params)
        .await;
    gate.leave(&state, &caller).await;
    let caller = caller?;
    let token = params.required("token")?;
    introspect::revoke(&state.db, &state.verifier, &caller, token).await?;
    let mut builder = HttpResponse::Ok();
    no_store(&mut builder);
    Ok(builder.finish())
}
