//! Who is calling the user-center JSON API: the user of a bearer token
//! with scope `profile` (still existing and enabled), and for management
//! calls, only through a client that user owns.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use idmap_common::claims::AccessClaims;
use idmap_common::error::ErrorCode;

use crate::db::users::UserRow;
use crate::error::ApiError;
use crate::routes::{AppState, bearer};
use crate::services::{applications, users};

/// The scope every call requires.
const SCOPE: &str = "profile";

/// 403 `insufficient_scope` with `description`.
pub fn refused(description: &str) -> ApiError {
    ApiError::Bearer {
        status: StatusCode::FORBIDDEN,
        code: Some(ErrorCode::InsufficientScope),
        description: description.into(),
    }
}

/// The token's user (any client), with the token's claims.
pub async fn token_user(
    state: &AppState,
    req: &HttpRequest,
) -> Result<(UserRow, AccessClaims), ApiError> {
    let claims = bearer::require(state, req, SCOPE).await?;
    let user = users::find(&state.db, &claims.sub)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| refused("the token does not belong to an active user"))?;
    Ok((user, claims))
}

/// The token's user, when the token was issued through one of the user's own applications.
pub async fn owner(state: &AppState, req: &HttpRequest) -> Result<UserRow, ApiError> {
    let (user, claims) = token_user(state, req).await?;
    let own = applications::get(&state.db, &user.id, &claims.client_id)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .is_some();
    if !own {
        return Err(refused(
            "management calls need a token issued through an application you own",
        ));
    }
    Ok(user)
}
