//! The URL map of idmap-server, one module per resource; every route and
//! every fallback (404, 405) answers with the JSON error envelope.

pub mod body;
pub mod health;
pub mod link;
pub mod lookup;
pub mod save;

use actix_web::{HttpResponse, web};

use crate::domain::validate::Invalid;
use crate::error::ApiError;

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    link::configure(cfg);
    lookup::configure(cfg);
    save::configure(cfg);
    health::configure(cfg);
}

/// Fallback of the whole app.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// Fallback of each resource for methods it does not serve.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// Maps a validation failure to its 400 answer.
pub(crate) fn invalid(e: Invalid) -> ApiError {
    match e {
        Invalid::Request(m) => ApiError::BadRequest(m),
        Invalid::Items(details) => ApiError::Invalid {
            description: format!("{} invalid item(s); see details", details.len()),
            details,
        },
    }
}
