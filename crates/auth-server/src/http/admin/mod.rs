//! The admin JSON API under `/admin/api/v1/`: every call needs a bearer
//! token of this server with scope `admin` (verified locally with our own
//! keys), checked before a body is read (`http::body`). One file per
//! resource; errors use the JSON envelope.

pub(crate) mod clients;
pub(crate) mod entitlements;
pub(crate) mod groups;
pub(crate) mod keys;
pub(crate) mod partners;
pub(crate) mod users;

use actix_web::web;

use crate::error::method_not_allowed;

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
                web::resource("/entitlements")
                    .route(web::get().to(entitlements::list_entitlements))
                    .route(web::post().to(entitlements::grant_entitlement))
                    .default_service(method_not_allowed("GET, POST")),
            )
            .service(
                web::resource("/entitlements/{id}")
                    .route(web::delete().to(entitlements::revoke_entitlement))
                    .default_service(method_not_allowed("DELETE")),
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
