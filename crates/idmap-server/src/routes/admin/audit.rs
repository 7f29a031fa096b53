//! `GET /api/v1/admin/audit`: the append-only audit log, oldest first,
//! paginated by id. Link entries carry counts only, never hashes or refs.

use actix_web::{HttpResponse, web};

use super::{Listing, PageResponse};
use crate::auth::{self, Authorized};
use crate::db::admin;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/audit").route(web::get().to(get_audit)));
}

pub async fn get_audit(
    state: web::Data<AppState>,
    Listing { page, .. }: Listing<Authorized<auth::Admin>>,
) -> Result<HttpResponse, ApiError> {
    page.only_paging()?;
    let items = admin::audit_page(&state.db, page.after(), page.limit()).await?;
    Ok(HttpResponse::Ok().json(PageResponse::new(items, page.limit(), |e| e.id)))
}
