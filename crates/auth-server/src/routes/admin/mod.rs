//! The admin JSON API under `/admin/api/v1/`: every call needs a bearer
//! token of this server with scope `admin` (verified locally with our own
//! keys). One file per resource; errors use the JSON envelope.

pub(crate) mod clients;
pub(crate) mod groups;
pub(crate) mod keys;
pub(crate) mod partners;
pub(crate) mod users;

use actix_web::web;

use super::method_not_allowed;
use crate::error::ApiError;
use crate::services::clients::AdminError;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api/v1")
            .service(
                web::resource("/partners")
                    .route(web::get().to(partners::list_partners))
                    .route(web::post().to(partners::create_partner))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/clients")
                    .route(web::get().to(clients::list_clients))
                    .route(web::post().to(clients::create_client))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/clients/{id}")
                    .route(web::get().to(clients::get_client))
                    .default_service(method_not_allowed("GET")),
            )
            .service(
                web::resource("/clients/{id}/disable")
                    .route(web::post().to(clients::disable_client))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/clients/{id}/secrets")
                    .route(web::post().to(clients::rotate_secret))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/clients/{id}/secrets/{secret_id}")
                    .route(web::delete().to(clients::delete_secret))
                    .default_service(method_not_allowed("DELETE")),
            )
            .service(
                web::resource("/users")
                    .route(web::get().to(users::list_users))
                    .route(web::post().to(users::create_user))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/users/{id}/disable")
                    .route(web::post().to(users::disable_user))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/groups/members")
                    .route(web::post().to(groups::add_member))
                    .default_service(method_not_allowed("POST")),
            )
            .service(
                web::resource("/keys")
                    .route(web::get().to(keys::list_keys))
                    .default_service(method_not_allowed("GET")),
            )
            .service(
                web::resource("/keys/rotate")
                    .route(web::post().to(keys::rotate_key))
                    .default_service(method_not_allowed("POST")),
            ),
    );
}

/// The one mapping of admin-service failures to API errors.
fn api_error(e: AdminError) -> ApiError {
    match e {
        AdminError::Invalid(m) => ApiError::BadRequest(m),
        AdminError::NotFound(_) => ApiError::NotFound,
        AdminError::Conflict(m) => ApiError::Conflict(m),
        AdminError::Storage(s) if s.is_unavailable() => ApiError::Unavailable,
        AdminError::Storage(s) => ApiError::internal(s),
    }
}

/// The scope every admin call requires.
const ADMIN_SCOPE: &str = "admin";
