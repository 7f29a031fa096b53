//! Reading a JSON request body by hand, after the bearer guard passed, so
//! that body errors never pre-empt authentication errors: size (413), then
//! content type (415), then parsing (400).

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev, mime, web};
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

/// A request's body, taken from the request but unread until the handler
/// asks, so that whatever the handler checks first answers first.
pub struct Body {
    req: HttpRequest,
    payload: web::Payload,
}

impl Body {
    /// Takes the body of `req` out of `payload`.
    pub fn take(req: &HttpRequest, payload: &mut dev::Payload) -> Result<Self, BodyError> {
        let payload = web::Payload::from_request(req, payload)
            .into_inner()
            .map_err(|e| BodyError::Malformed(format!("cannot read the body: {e}")))?;
        Ok(Self {
            req: req.clone(),
            payload,
        })
    }

    /// Reads and parses the body as `T`.
    ///
    /// A request without `Content-Type` is read as JSON: some HTTP libraries
    /// send a raw body without one, and the body still has to parse as
    /// JSON, so nothing is lost; any other type than `application/json`
    /// (parameters such as `charset` allowed) or `application/*+json` is a
    /// 415.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, BodyError> {
        parse(&self.bytes().await?)
    }

    /// Like [`Body::json`], but an empty body stands for `T::default()`,
    /// for admin actions whose body is optional.
    pub async fn json_or_default<T: DeserializeOwned + Default>(self) -> Result<T, BodyError> {
        let bytes = self.bytes().await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        parse(&bytes)
    }

    async fn bytes(self) -> Result<web::Bytes, BodyError> {
        let req = &self.req;
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
        match self.payload.to_bytes_limited(MAX_BODY_BYTES).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) => Err(BodyError::Malformed(format!("cannot read the body: {e}"))),
            Err(_) => Err(BodyError::TooLarge),
        }
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    serde_json::from_slice(bytes).map_err(|e| BodyError::Malformed(e.to_string()))
}

fn is_json(mime: &mime::Mime) -> bool {
    mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
}
