//! `GET /api/v1/admin/config`: the linkage settings this server runs with
//! (no secrets), so that an operator or a benchmark can see which policy
//! decides.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::auth::{self, Authorized};
use crate::domain::linkage::SamePartnerPolicy;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/config").route(web::get().to(get_config)));
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConfigResponse {
    pub same_partner_policy: SamePartnerPolicy,
    pub max_refs_per_hash: usize,
    pub link_threshold: f64,
    pub max_patients: usize,
    /// Whether link requests must carry a matching salt fingerprint.
    pub salt_fingerprint_required: bool,
}

pub async fn get_config(
    state: web::Data<AppState>,
    _caller: Authorized<auth::Admin>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ConfigResponse {
        same_partner_policy: state.linkage.policy,
        max_refs_per_hash: state.linkage.max_refs_per_hash,
        link_threshold: state.linkage.link_threshold,
        max_patients: state.max_patients,
        salt_fingerprint_required: !state.salt_fingerprints.is_empty(),
    }))
}
