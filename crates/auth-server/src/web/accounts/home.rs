//! `/accounts/`: the signed-in user's page (address, verification state,
//! groups, the patient-data scopes an operator entitled the user to, links
//! to applications and approvals).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::routes::AppState;
use crate::services::{entitlements, groups};
use crate::web::{current, page};

pub async fn get_home(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some((session, user)) = current::signed_in(&state, &req).await? else {
        return Ok(page::to_login(&req));
    };
    let groups = groups::of_user(&state.db, &user.id).await?;
    let mut entitled: Vec<&str> = entitlements::held_by(&state.db, &user.id)
        .await?
        .into_iter()
        .map(|s| s.as_str())
        .collect();
    entitled.sort_unstable();
    entitled.dedup();
    page::render(
        &state,
        &session,
        Some(&user.email),
        StatusCode::OK,
        "home.html",
        minijinja::context! {
            verified => user.email_verified, groups => groups, entitled => entitled,
        },
    )
}
