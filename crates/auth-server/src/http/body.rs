//! JSON bodies of the admin and user-center APIs, read by the handler only
//! once the caller is authenticated, so that a body error never pre-empts
//! a 401 or 403 and an unauthenticated caller learns nothing of the API's
//! fields. Failures answer like the `Json` extractor's: 413, 415, 400.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest JSON body accepted (the largest real one is a few hundred bytes).
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Reads and parses the body as `T`.
pub async fn json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    web::JsonBody::<T>::new(req, &mut payload.into_inner(), None, false)
        .limit(MAX_JSON_BYTES)
        .await
        .map_err(ApiError::from)
}

/// Like [`json`] for an optional body: none at all stands for `T::default()`.
pub async fn json_or_default<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    let headers = req.headers();
    let empty = match headers.get(header::CONTENT_LENGTH) {
        Some(len) => len.as_bytes() == b"0",
        None => !headers.contains_key(header::TRANSFER_ENCODING),
    };
    if empty {
        Ok(T::default())
    } else {
        json(req, payload).await
    }
}
