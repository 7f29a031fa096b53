//! `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC
//! 7009). Both require client authentication (401 when it fails) and are
//! rate-limited like the token endpoint.

use actix_web::{HttpResponse, web};
use idmap_storage::Database;

use super::no_store_json;
use super::throttle::ClientCall;
use crate::domain::client::ClientKind;
use crate::domain::oauth_error::OAuthError;
use crate::error::no_store;
use crate::metrics::AuthMetrics;
use crate::routes::action;
use crate::services::introspect;
use crate::services::token::TokenError;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(action("/oauth/introspect", post_introspect))
        .service(action("/oauth/revoke", post_revoke));
}

async fn post_introspect(
    call: ClientCall,
    db: web::Data<Database>,
    metrics: web::Data<AuthMetrics>,
) -> Result<HttpResponse, TokenError> {
    let oauth = &call.oauth;
    // Introspection is for confidential callers (metadata says so): a
    // public client's bare client_id is no authentication here.
    let caller = call
        .guarded(async |presented| {
            let c = oauth.tokens.authenticate(presented).await?;
            match c.kind {
                ClientKind::Confidential => Ok(c),
                ClientKind::Public => Err(OAuthError::invalid_client().into()),
            }
        })
        .await?;
    let token = call.form.params.required("token")?;
    let found = introspect::prepare(&oauth.verifier, Some(token))
        .read(&db, oauth.tokens.credentials())
        .await?;
    let answer = introspect::answer(&caller, found);
    metrics.introspected(answer.active);
    Ok(no_store_json(&answer))
}

async fn post_revoke(
    call: ClientCall,
    db: web::Data<Database>,
) -> Result<HttpResponse, TokenError> {
    let oauth = &call.oauth;
    let caller = call
        .guarded(async |presented| oauth.tokens.authenticate(presented).await)
        .await?;
    let token = call.form.params.required("token")?;
    introspect::revoke(&db, &oauth.verifier, &caller, token).await?;
    let mut builder = HttpResponse::Ok();
    no_store(&mut builder);
    Ok(builder.finish())
}
