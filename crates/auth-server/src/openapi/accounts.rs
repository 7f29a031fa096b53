//! Operation stubs of the user center's JSON API: a bearer token with scope
//! `profile` issued to the user; management calls (`/accounts/api/v1/`)
//! only through an application the user owns. Documentation only, never
//! routed.
#![expect(dead_code, reason = "documentation stubs")]

use idmap_common::error::ErrorBody;

use crate::http::user_api::applications::{CreateApplicationRequest, UpdateApplicationRequest};
use crate::http::user_api::resource::UserResource;
use crate::services::applications::ApplicationView;
use crate::services::clients::CreatedClient;
use crate::services::consents::ConsentView;
use crate::services::groups::GroupView;

#[utoipa::path(get, path = "/accounts/api/v1/applications", tag = "accounts",
    description = "The user's own applications (never a secret).",
    security(("bearer" = ["profile"])),
    responses((status = 200, body = Vec<ApplicationView>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a token issued through the user's own application",
            body = ErrorBody)))]
fn list_applications() {}

#[utoipa::path(post, path = "/accounts/api/v1/applications", tag = "accounts",
    description = "Registers an application (scopes `profile groups`); its secret is in this \
        answer only. The user's address must be verified; redirect URIs must be https, http on \
        a loopback address, or (public clients) a reverse-domain private-use scheme.",
    request_body = CreateApplicationRequest,
    security(("bearer" = ["profile"])),
    responses((status = 201, body = CreatedClient), (status = 400, body = ErrorBody),
        (status = 403, description = "The user's address is not verified", body = ErrorBody)))]
fn create_application() {}

#[utoipa::path(get, path = "/accounts/api/v1/applications/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Client id")),
    security(("bearer" = ["profile"])),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody)))]
fn get_application() {}

#[utoipa::path(put, path = "/accounts/api/v1/applications/{id}", tag = "accounts",
    params(("id" = String, Path)),
    request_body = UpdateApplicationRequest,
    security(("bearer" = ["profile"])),
    responses((status = 200, body = ApplicationView), (status = 400, body = ErrorBody),
        (status = 403, description = "The user's address is not verified", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
fn update_application() {}

#[utoipa::path(delete, path = "/accounts/api/v1/applications/{id}", tag = "accounts",
    params(("id" = String, Path)),
    security(("bearer" = ["profile"])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
fn delete_application() {}

#[utoipa::path(get, path = "/accounts/api/v1/authorized_tokens", tag = "accounts",
    description = "The applications the user approved, with their live refresh-token families.",
    security(("bearer" = ["profile"])),
    responses((status = 200, body = Vec<ConsentView>)))]
fn list_authorized() {}

#[utoipa::path(delete, path = "/accounts/api/v1/authorized_tokens/{id}", tag = "accounts",
    description = "Withdraws an approval and ends the tokens issued under it.",
    params(("id" = String, Path)),
    security(("bearer" = ["profile"])),
    responses((status = 204, description = "Withdrawn"), (status = 404, body = ErrorBody)))]
fn revoke_authorized() {}

#[utoipa::path(get, path = "/accounts/resource/user/{id}", tag = "accounts",
    description = "The token's own user record (any client); `groups` only when the token \
        also has the scope `groups`. `{id}`, `{id}/` and `{id}.json` answer JSON, `{id}.html` a \
        page; any other id is 404, existing or not.",
    params(("id" = String, Path, description = "User id, optionally with `/`, `.json` or `.html`")),
    security(("bearer" = ["profile"])),
    responses(
        (status = 200, content(
            (UserResource = "application/json"),
            ("text/html"),
        )),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
fn get_user_resource() {}

#[utoipa::path(get, path = "/accounts/resource/group/{id}", tag = "accounts",
    description = "A group the token's user belongs to, with its members' addresses and roles \
        (any client; scopes `profile` and `groups`); suffixes as for users; other groups are 404.",
    params(("id" = String, Path, description = "Group id, optionally with `/`, `.json` or `.html`")),
    security(("bearer" = ["profile", "groups"])),
    responses(
        (status = 200, content(
            (GroupView = "application/json"),
            ("text/html"),
        )),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The token lacks the scope groups", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
fn get_group_resource() {}
