//! The user center for scripts and applications, as JSON:
//!
//! - `/accounts/api/v1/applications` and `/accounts/api/v1/authorized_tokens`:
//!   the same management as the pages. A bearer access token of this server
//!   with scope `profile`, issued to the user (`sub`) through an application
//!   **that user owns** (their own script client): a third-party application
//!   the user approved cannot manage the user's applications or approvals.
//! - `/accounts/resource/user/{id}` and `/accounts/resource/group/{id}`
//!   (resource API for authorized applications; scope `profile`, any
//!   client): JSON by default, `.json` / `.html` suffixes for the format; only
//!   the token's own user record and groups the user belongs to, 404 for
//!   everything else (existing or not).

pub(crate) mod applications;
mod auth;
pub(crate) mod resource;

use actix_web::web;

use crate::error::method_not_allowed;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/accounts/api/v1")
            .service(
                web::resource("/applications")
                    .route(web::get().to(applications::list_applications))
                    .route(web::post().to(applications::create_application))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/applications/{id}")
                    .route(web::get().to(applications::get_application))
                    .route(web::put().to(applications::update_application))
                    .route(web::delete().to(applications::delete_application))
                    .default_service(method_not_allowed("GET, PUT, DELETE")),
            )
            .service(
                web::resource("/authorized_tokens")
                    .route(web::get().to(applications::list_authorized))
                    .default_service(method_not_allowed("GET")),
            )
            .service(
                web::resource("/authorized_tokens/{id}")
                    .route(web::delete().to(applications::revoke_authorized))
                    .default_service(method_not_allowed("DELETE")),
            ),
    )
    .service(
        web::resource("/accounts/resource/user/{tail:.+}")
            .route(web::get().to(resource::get_user))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/accounts/resource/group/{tail:.+}")
            .route(web::get().to(resource::get_group))
            .default_service(method_not_allowed("GET")),
    );
}
