//! `/accounts/`: the signed-in user's page (address, verification state,
//! groups, the patient-data scopes an operator entitled the user to, links
//! to applications and approvals).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use idmap_storage::Database;

use crate::error::ApiError;
use crate::pages::extract::SignedIn;
use crate::pages::state::PagesState;
use crate::services::{entitlements, groups};

pub async fn get_home(
    signed: SignedIn,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let user = &signed.user;
    let groups = groups::of_user(&db, &user.id).await?;
    let mut entitled: Vec<&str> = entitlements::held_by(&db, &user.id)
        .await?
        .into_iter()
        .map(|s| s.as_str())
        .collect();
    entitled.sort_unstable();
    entitled.dedup();
    signed.page(
        &pages,
        StatusCode::OK,
        "home.html",
        minijinja::context! {
            verified => user.email_verified, groups => groups, entitled => entitled,
        },
    )
}
