//! The form post of an OAuth client (token, introspection, revocation) as
//! a handler argument: its parameters, and the client authentication it
//! presents (RFC 6749 2.3.1: the Basic header or `client_id` and
//! `client_secret` in the body, never both), parsed once for every step
//! that needs it: the rate-limit gate and the service.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::domain::client_auth::{self, PresentedCredentials};
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::pages::extract::LocalBoxFuture;
use crate::services::token::TokenError;

/// A client's form post.
pub struct ClientForm {
    pub params: Params,
    /// `Err` is answered only once the rate-limit gate has let the request
    /// through, so a blocked caller learns nothing of its credentials.
    pub credentials: Result<PresentedCredentials, OAuthError>,
}

impl FromRequest for ClientForm {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        Box::pin(async move {
            let params = Params::from_pairs(form.await?.into_inner()).map_err(TokenError::from)?;
            let credentials = client_auth::extract(authorization.as_deref(), &params);
            Ok(Self {
                params,
                credentials,
            })
        })
    }
}
