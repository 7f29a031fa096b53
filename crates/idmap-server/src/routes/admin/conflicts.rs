//! `GET /api/v1/admin/conflicts` (open ones by default, paginated) and
//! `POST /api/v1/admin/conflicts/{id}/resolve` (body optional:
//! `{"note": "..."}`; 409 when it was resolved before).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{AdminCall, Listing, PageResponse};
use crate::auth::{self, Authorized};
use crate::db::admin::{self, Resolve};
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/admin/conflicts").route(web::get().to(get_conflicts)))
        .service(
            resource("/api/v1/admin/conflicts/{id}/resolve").route(web::post().to(post_resolve)),
        );
}

/// `{"note": "..."}`, at most 512 characters; may be omitted entirely.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    #[serde(default)]
    pub note: Option<String>,
}

pub async fn get_conflicts(
    state: web::Data<AppState>,
    Listing { page, .. }: Listing<Authorized<auth::Admin>>,
) -> Result<HttpResponse, ApiError> {
    if page.partner.is_some() {
        return Err(ApiError::BadRequest(
            "unknown query parameter partner".into(),
        ));
    }
    let status = match page.status.as_deref() {
        None | Some("open") => "open",
        Some("resolved") => "resolved",
        Some(_) => {
            return Err(ApiError::BadRequest(
                "status must be open or resolved".into(),
            ));
        }
    };
    let items = admin::conflicts_page(&state.db, status, page.after(), page.limit()).await?;
    Ok(HttpResponse::Ok().json(PageResponse::new(items, page.limit(), |c| c.id)))
}

pub async fn post_resolve(
    state: web::Data<AppState>,
    call: AdminCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = path.parse().map_err(|_| ApiError::NotFound)?;
    let request: ResolveRequest = call.body.json_or_default().await?;
    if request
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > 512)
    {
        return Err(ApiError::BadRequest(
            "note is longer than 512 characters".into(),
        ));
    }
    match admin::resolve_conflict(&state.db, id, request.note, call.actor).await? {
        Resolve::Resolved(view) => Ok(HttpResponse::Ok().json(view)),
        Resolve::NotFound => Err(ApiError::NotFound),
        Resolve::AlreadyResolved(_) => Err(ApiError::Conflict(format!(
            "conflict {id} is resolved already"
        ))),
    }
}
