//! Bearer tokens on this server's own protected endpoints (userinfo, the
//! admin API): the `Authorization: Bearer` value, verified locally, with
//! the audience of this server and a required scope. Failures answer per
//! RFC 6750 section 3.

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use idmap_common::claims::AccessClaims;
use idmap_common::error::ErrorCode;

use super::AppState;
use crate::error::ApiError;

/// The verified claims of a request that carries `scope`.
pub async fn require(
    state: &AppState,
    req: &HttpRequest,
    scope: &str,
) -> Result<AccessClaims, ApiError> {
    let Some(token) = bearer(req) else {
        return Err(ApiError::Bearer {
            status: StatusCode::UNAUTHORIZED,
            code: None,
            description: "a bearer token is required".into(),
        });
    };
    let claims = state
        .verifier
        .verify(token)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .filter(|c| c.aud.contains(state.tokens.issuer().issuer()))
        .ok_or_else(|| ApiError::Bearer {
            status: StatusCode::UNAUTHORIZED,
            code: Some(ErrorCode::InvalidToken),
            description: "the access token is invalid, expired, revoked or not for this server"
                .into(),
        })?;
    if !claims.has_scope(scope) {
        return Err(ApiError::Bearer {
            status: StatusCode::FORBIDDEN,
            code: Some(ErrorCode::InsufficientScope),
            description: format!("scope '{scope}' is required"),
        });
    }
    Ok(claims)
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
