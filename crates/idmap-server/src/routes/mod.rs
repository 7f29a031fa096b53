//! The URL map of idmap-server, one module per resource; every route and
//! every fallback (404, 405) answers with the JSON error envelope.

pub mod admin;
pub mod body;
pub mod call;
pub mod duplicates;
pub mod health;
pub mod link;
pub mod lookup;
pub mod save;

use actix_web::{HttpResponse, web};
use idmap_common::LinkUuid;
use idmap_common::ids::PartnerCode;

use crate::db::audit::Actor;
use crate::domain::linkage::Patient;
use crate::domain::validate::Invalid;
use crate::error::ApiError;
use crate::startup::AppState;

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    admin::configure(cfg);
    duplicates::configure(cfg);
    link::configure(cfg);
    lookup::configure(cfg);
    save::configure(cfg);
    health::configure(cfg);
    crate::openapi::configure(cfg);
}

/// Fallback of the whole app.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// Fallback of each resource for methods it does not serve.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// The resource at `path`, answering 405 to the methods it is not given.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Links `patients` of the caller's `partner` as `action` (`link` or
/// `save`), counting the outcome in the metrics.
pub(crate) async fn link_patients(
    state: &AppState,
    partner: PartnerCode,
    patients: Vec<Patient>,
    action: &'static str,
    actor: Actor,
) -> Result<Vec<LinkUuid>, ApiError> {
    let (uuids, counts) = crate::db::link::link(
        &state.db,
        partner,
        patients,
        state.link_settings(),
        action,
        actor,
    )
    .await?;
    state.metrics.record_link(action, &counts);
    Ok(uuids)
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
