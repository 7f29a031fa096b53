//! Who is calling the user-center JSON API, as handler arguments: the user
//! of a bearer token with scope `profile` (still existing and enabled), and
//! for management calls, only through a client that user owns.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use idmap_actix_auth::{ScopeName, authenticate};
use idmap_common::claims::AccessClaims;
use idmap_common::error::ErrorCode;

use crate::db::users::UserRow;
use idmap_storage::Database;

use crate::error::{ApiError, app_data};
use crate::http::bearer::ProfileScope;
use crate::services::{applications, users};

/// 403 `insufficient_scope` with `description`.
pub fn refused(description: &str) -> ApiError {
    ApiError::Bearer {
        status: StatusCode::FORBIDDEN,
        code: Some(ErrorCode::InsufficientScope),
        description: description.into(),
    }
}

/// The token's user (any client), with the token's claims.
pub struct TokenUser {
    pub user: UserRow,
    pub claims: AccessClaims,
}

/// The token's user, when the token was issued through one of the user's
/// own applications.
pub struct Owner(pub UserRow);

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for TokenUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let claims = authenticate(req, Some(ProfileScope::SCOPE));
        let db = app_data::<Database>(req);
        Box::pin(async move {
            let claims = claims.await?;
            let user = users::find(&*db?, &claims.sub)
                .await?
                .filter(|u| !u.disabled)
                .ok_or_else(|| refused("the token does not belong to an active user"))?;
            Ok(Self { user, claims })
        })
    }
}

impl FromRequest for Owner {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = TokenUser::from_request(req, payload);
        let db = app_data::<Database>(req);
        Box::pin(async move {
            let TokenUser { user, claims } = caller.await?;
            let own = applications::get(&*db?, &user.id, &claims.client_id)
                .await?
                .is_some();
            if !own {
                return Err(refused(
                    "management calls need a token issued through an application you own",
                ));
            }
            Ok(Self(user))
        })
    }
}
