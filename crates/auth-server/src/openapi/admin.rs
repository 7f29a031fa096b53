//! Operation stubs of the admin API under `/admin/api/v1/`: every call
//! needs a bearer token of this server with scope `admin`, checked before
//! any request body is read (401/403 come before 400/413/415).
//! Documentation only, never routed.
#![expect(dead_code, reason = "documentation stubs")]

use idmap_common::error::ErrorBody;

use crate::http::admin::clients::{CreateClientRequest, RotateSecretRequest};
use crate::http::admin::entitlements::GrantEntitlementRequest;
use crate::http::admin::groups::AddMemberRequest;
use crate::http::admin::keys::RotateKeyRequest;
use crate::http::admin::partners::CreatePartnerRequest;
use crate::http::admin::users::CreateUserRequest;
use crate::keys::KeyView;
use crate::services::client_secrets::RotatedSecret;
use crate::services::clients::{ClientView, CreatedClient, PartnerView};
use crate::services::entitlements::EntitlementView;
use crate::services::groups::MembershipView;
use crate::services::users::UserView;

#[utoipa::path(get, path = "/admin/api/v1/partners", tag = "admin",
    security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<PartnerView>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
fn list_partners() {}

#[utoipa::path(post, path = "/admin/api/v1/partners", tag = "admin",
    request_body = CreatePartnerRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = PartnerView), (status = 400, body = ErrorBody),
        (status = 409, description = "Registered already", body = ErrorBody)))]
fn create_partner() {}

#[utoipa::path(get, path = "/admin/api/v1/clients", tag = "admin",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "Secret ids and times, never secrets",
        body = Vec<ClientView>)))]
fn list_clients() {}

#[utoipa::path(post, path = "/admin/api/v1/clients", tag = "admin",
    description = "The secret is in this answer only (not cached); null for a public client.",
    request_body = CreateClientRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = CreatedClient), (status = 400, body = ErrorBody),
        (status = 404, description = "No such partner", body = ErrorBody)))]
fn create_client() {}

#[utoipa::path(get, path = "/admin/api/v1/clients/{id}", tag = "admin",
    params(("id" = String, Path, description = "Client id")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = ClientView), (status = 404, body = ErrorBody)))]
fn get_client() {}

#[utoipa::path(post, path = "/admin/api/v1/clients/{id}/disable", tag = "admin",
    description = "No more tokens for this client.",
    params(("id" = String, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 204, description = "Disabled"), (status = 404, body = ErrorBody)))]
fn disable_client() {}

#[utoipa::path(post, path = "/admin/api/v1/clients/{id}/secrets", tag = "admin",
    description = "Adds a secret (shown once); the old ones stay valid, or expire after \
        old_expires_in seconds.",
    params(("id" = String, Path)),
    request_body(content = Option<RotateSecretRequest>, description = "Optional"),
    security(("bearer" = ["admin"])),
    responses((status = 201, body = RotatedSecret), (status = 404, body = ErrorBody),
        (status = 409, description = "Two live secrets already", body = ErrorBody)))]
fn rotate_secret() {}

#[utoipa::path(delete, path = "/admin/api/v1/clients/{id}/secrets/{secret_id}", tag = "admin",
    description = "Ends one secret at once.",
    params(("id" = String, Path), ("secret_id" = String, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 204, description = "Retired"), (status = 404, body = ErrorBody)))]
fn delete_secret() {}

#[utoipa::path(get, path = "/admin/api/v1/users", tag = "admin",
    security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<UserView>)))]
fn list_users() {}

#[utoipa::path(post, path = "/admin/api/v1/users", tag = "admin",
    request_body = CreateUserRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = UserView),
        (status = 400, description = "Not an e-mail address, or a password too short", body = ErrorBody),
        (status = 409, description = "Registered already", body = ErrorBody)))]
fn create_user() {}

#[utoipa::path(post, path = "/admin/api/v1/users/{id}/disable", tag = "admin",
    description = "No more logins or tokens; every refresh-token family of the user is revoked \
        with the access tokens issued in it.",
    params(("id" = String, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 204, description = "Disabled"), (status = 404, body = ErrorBody)))]
fn disable_user() {}

#[utoipa::path(post, path = "/admin/api/v1/groups/members", tag = "admin",
    description = "Adds a user to a partner's group (created on first use) or changes the role.",
    request_body = AddMemberRequest,
    security(("bearer" = ["admin"])),
    responses((status = 200, body = MembershipView), (status = 400, body = ErrorBody),
        (status = 404, description = "No such partner or user", body = ErrorBody)))]
fn add_member() {}

#[utoipa::path(get, path = "/admin/api/v1/entitlements", tag = "admin",
    description = "Who may hold idmap:read and idmap:admin in user-facing grants.",
    security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<EntitlementView>)))]
fn list_entitlements() {}

#[utoipa::path(post, path = "/admin/api/v1/entitlements", tag = "admin",
    description = "Entitles one user, or every member of a partner's group (created on first \
        use), to idmap:read or idmap:admin. Without it, user-facing grants drop the scope.",
    request_body = GrantEntitlementRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, body = EntitlementView),
        (status = 200, description = "Entitled already", body = EntitlementView),
        (status = 400, description = "Not such a scope, or not exactly one of user and partner",
            body = ErrorBody),
        (status = 404, description = "No such user or partner", body = ErrorBody)))]
fn grant_entitlement() {}

#[utoipa::path(delete, path = "/admin/api/v1/entitlements/{id}", tag = "admin",
    description = "Withdraws an entitlement: the next refresh of a token drops the scope; \
        access tokens already issued keep it until they expire.",
    params(("id" = String, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 204, description = "Withdrawn"), (status = 404, body = ErrorBody)))]
fn revoke_entitlement() {}

#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "admin",
    security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<KeyView>)))]
fn list_keys() {}

#[utoipa::path(post, path = "/admin/api/v1/keys/rotate", tag = "admin",
    description = "Adds the next signing key: published now, signing after the publication \
        delay, or at once with now = true.",
    request_body(content = Option<RotateKeyRequest>, description = "Optional"),
    security(("bearer" = ["admin"])),
    responses((status = 201, description = "The keys after the rotation", body = Vec<KeyView>)))]
fn rotate_key() {}
