//! `GET /api/v1/admin/ambiguous` (paginated; `?partner=` narrows to one
//! causing partner): every ambiguous hash with the partner whose
//! submission made it ambiguous, why (`refs`, `distinct`,
//! `too_many_refs`), how many of that partner's refs were involved, when,
//! and the UUID it stays bound to.

use actix_web::{HttpResponse, web};
use idmap_common::ids::PartnerCode;

use super::{Listing, PageResponse};
use crate::auth::{self, Authorized};
use crate::db::admin;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/ambiguous").route(web::get().to(get_ambiguous)));
}

pub async fn get_ambiguous(
    state: web::Data<AppState>,
    Listing { page, .. }: Listing<Authorized<auth::Admin>>,
) -> Result<HttpResponse, ApiError> {
    if page.status.is_some() {
        return Err(ApiError::BadRequest(
            "unknown query parameter status".into(),
        ));
    }
    let partner = match page.partner.as_deref() {
        Some(p) => Some(
            PartnerCode::parse(p)
                .map_err(|e| ApiError::BadRequest(format!("partner {e}")))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let items = admin::ambiguous_page(&state.db, partner, page.after(), page.limit()).await?;
    Ok(HttpResponse::Ok().json(PageResponse::new(items, page.limit(), |a| a.id)))
}
