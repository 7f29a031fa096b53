//! A partner's own within-partner cases (scope `idmap:link`, the caller's
//! partner only): `GET /api/v1/duplicates` lists pairs of its refs that one
//! UUID answers (policies `link` and `evidence`), with the rule codes that
//! tied them, paginated like the admin lists (`?after=&limit=`), and
//! without the pairs declared distinct; `POST /api/v1/distinct`
//! `{"refs": ["a", "b"]}` declares two of its refs different people, so
//! the hashes they share stop linking them (rule 5). Refs need not exist
//! yet: declaring before sending is allowed, and repeating is harmless.

use actix_web::{HttpResponse, web};
use idmap_common::ids::PatientRef;
use serde::{Deserialize, Serialize};

use super::admin::{Listing, PageResponse};
use super::call::Call;
use super::resource;
use crate::auth::Partner;
use crate::db::same_partner;
use crate::domain::linkage::ref_pair;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/duplicates").route(web::get().to(get_duplicates)))
        .service(resource("/api/v1/distinct").route(web::post().to(post_distinct)));
}

/// `{"refs": ["<ref>", "<ref>"]}`: two different refs of the caller.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistinctRequest {
    pub refs: Vec<String>,
}

pub async fn get_duplicates(
    state: web::Data<AppState>,
    Listing { caller, page }: Listing<Partner>,
) -> Result<HttpResponse, ApiError> {
    page.only_paging()?;
    let items = same_partner::duplicates_for(
        &state.db,
        caller.code.as_str().to_owned(),
        page.after(),
        page.limit(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(PageResponse::new(items, page.limit(), |d| d.id)))
}

pub async fn post_distinct(
    state: web::Data<AppState>,
    call: Call<Partner>,
) -> Result<HttpResponse, ApiError> {
    let request: DistinctRequest = call.body.json().await?;
    let [a, b] = request.refs.as_slice() else {
        return Err(ApiError::BadRequest(
            "refs must hold exactly two refs".into(),
        ));
    };
    let parse = |r: &str| {
        PatientRef::parse(r).map_err(|e| ApiError::BadRequest(format!("refs: {r:?} {e}")))
    };
    let (a, b) = (parse(a)?, parse(b)?);
    if a == b {
        return Err(ApiError::BadRequest(
            "refs must be two different refs".into(),
        ));
    }
    let pair = ref_pair(&a, &b);
    same_partner::declare(
        &state.db,
        call.caller.code.as_str().to_owned(),
        pair.clone(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(DistinctRequest {
        refs: vec![pair.0.as_str().to_owned(), pair.1.as_str().to_owned()],
    }))
}
