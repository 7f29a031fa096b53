//! The head every route that takes a body shares, as one handler argument:
//! who calls, what the audit log names them, and the body, so that each
//! handler keeps only its own work.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev};
use idmap_common::AccessClaims;

use super::body::Body;
use crate::db::audit::Actor;
use crate::error::ApiError;
use crate::telemetry::RequestId;

/// A call by a `W` (`Authorized<S>` or `Partner`) with a body.
///
/// The body is unread until the handler asks for it: the token, scope and
/// partner answer first (401, 403), then what the handler checks before
/// the body (a path that names nothing is a 404), then the body itself.
pub struct Call<W> {
    pub caller: W,
    pub actor: Actor,
    pub body: Body,
}

impl<W> FromRequest for Call<W>
where
    W: FromRequest<Error = ApiError> + Deref<Target = AccessClaims> + 'static,
    W::Future: 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let caller = W::from_request(req, payload);
        let body = Body::take(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let caller = caller.await?;
            let body = body?;
            Ok(Self {
                actor: actor(&caller, &req),
                caller,
                body,
            })
        })
    }
}

/// The audit identity of a request: its client and request id.
fn actor(caller: &AccessClaims, req: &HttpRequest) -> Actor {
    Actor {
        client_id: caller.client_id.clone(),
        request_id: RequestId::of(req).0,
    }
}
