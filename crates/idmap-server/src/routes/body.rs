//! Reading a JSON request body by hand, after the bearer guard passed, so
//! that body errors never pre-empt authentication errors: size (413), then
//! content type (415), then parsing (400).

use actix_web::{HttpMessage, HttpRequest, mime, web};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest accepted body: 10,000 patients with a few hashes each fit.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Why a body was not read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    UnsupportedMediaType,
    /// Not JSON, wrong types or unknown fields; the parser's message.
    Malformed(String),
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => ApiError::TooLarge(MAX_BODY_BYTES),
            BodyError::UnsupportedMediaType => ApiError::UnsupportedMediaType,
            BodyError::Malformed(m) => ApiError::BadRequest(format!("invalid JSON body: {m}")),
        }
    }
}

/// Reads and parses the body as `T`.
///
/// A request without `Content-Type` is read as JSON: some HTTP libraries send
/// a raw body without one, and the body still has to parse as JSON, so
/// nothing is lost; any other type than `application/json` (parameters such
/// as `charset` allowed) or `application/*+json` is a 415.
pub async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, BodyError> {
    let bytes = read_bytes(req, payload).await?;
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))
}

/// Like [`read_json`], but an empty body stands for `T::default()`, for
/// admin actions whose body is optional.
pub async fn read_json_or_default<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, BodyError> {
    let bytes = read_bytes(req, payload).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))
}

async fn read_bytes(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<actix_web::web::Bytes, BodyError> {
    if req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    match req.mime_type() {
        Ok(None) => {}
        Ok(Some(mime)) if is_json(&mime) => {}
        Ok(Some(_)) | Err(_) => return Err(BodyError::UnsupportedMediaType),
    }
    let bytes = match payload.to_bytes_limited(MAX_BODY_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return Err(BodyError::Malformed(format!("cannot read the body: {e}"))),
        Err(_) => return Err(BodyError::TooLarge),
    };
    Ok(bytes)
}

fn is_json(mime: &mime::Mime) -> bool {
    mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
}
