//! The OpenAPI 3.1 description of auth-server, served at
//! `GET /openapi.json` and printed by `auth-server openapi`
//! (`scripts/openapi.sh` renders it into `docs/`). Response schemas are
//! derived from the types the handlers really write (token and
//! introspection answers, metadata, the admin and user-center views, the
//! error envelope); the form-encoded OAuth requests, read as plain pairs by
//! the handlers, are described by the structs of [`schemas`]. Operations
//! are declared one stub per route in [`oauth`], [`admin`] and
//! [`accounts`], so the whole API is described in one place. The HTML pages
//! of the user center (`/accounts/*/`, `/oauth/applications/`,
//! `/oauth/authorized_tokens/`) are for browsers and are left out; a test
//! checks that every other route is described and vice versa.

mod accounts;
mod admin;
mod oauth;
pub mod schemas;

use actix_web::web;
use idmap_common::claims::Audience;
use idmap_common::error::{ErrorBody, ErrorCode, ErrorDetail};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use self::schemas::{
    AuthorizeDecision, IntrospectRequest, Jwk, JwkSet, OAuthErrorBody, RevokeRequest, TokenRequest,
};
use crate::http::admin::clients::{CreateClientRequest, RotateSecretRequest};
use crate::http::admin::entitlements::GrantEntitlementRequest;
use crate::http::admin::groups::AddMemberRequest;
use crate::http::admin::keys::RotateKeyRequest;
use crate::http::admin::partners::CreatePartnerRequest;
use crate::http::admin::users::CreateUserRequest;
use crate::http::health::HealthStatus;
use crate::http::oauth::token::TokenResponse;
use crate::http::oauth::userinfo::UserInfo;
use crate::http::user_api::applications::{CreateApplicationRequest, UpdateApplicationRequest};
use crate::http::user_api::resource::UserResource;
use crate::keys::KeyView;
use crate::keys::schedule::KeyState;
use crate::services::applications::ApplicationView;
use crate::services::client_secrets::RotatedSecret;
use crate::services::clients::{ClientView, CreatedClient, PartnerView, SecretView};
use crate::services::consents::ConsentView;
use crate::services::entitlements::EntitlementView;
use crate::services::groups::{GroupView, MemberView, MembershipView};
use crate::services::introspect::Introspection;
use crate::services::metadata::ServerMetadata;
use crate::services::users::UserView;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-server",
        description = "OAuth 2 authorization server of the idmap network: issues RFC 9068 JWT \
            access tokens (client credentials, authorization code with PKCE, refresh token, and \
            when enabled password and implicit), introspects and revokes them, and publishes \
            its keys and metadata. OAuth endpoints take `application/x-www-form-urlencoded` \
            bodies and answer RFC 6749 errors; the admin and user-center APIs speak JSON and \
            answer errors in the envelope `ErrorBody`.",
        license(name = "Apache-2.0")
    ),
    paths(
        oauth::post_token, oauth::post_introspect, oauth::post_revoke, oauth::get_authorize,
        oauth::post_authorize, oauth::get_jwks, oauth::get_metadata, oauth::get_userinfo,
        oauth::post_userinfo, oauth::get_live, oauth::get_ready, oauth::get_metrics,
        oauth::get_openapi,
        admin::list_partners, admin::create_partner, admin::list_clients, admin::create_client,
        admin::get_client, admin::disable_client, admin::rotate_secret, admin::delete_secret,
        admin::list_users, admin::create_user, admin::disable_user, admin::add_member,
        admin::list_entitlements, admin::grant_entitlement, admin::revoke_entitlement,
        admin::list_keys, admin::rotate_key,
        accounts::list_applications, accounts::create_application, accounts::get_application,
        accounts::update_application, accounts::delete_application, accounts::list_authorized,
        accounts::revoke_authorized, accounts::get_user_resource, accounts::get_group_resource,
    ),
    components(schemas(
        TokenRequest, TokenResponse, OAuthErrorBody, IntrospectRequest, Introspection, Audience,
        RevokeRequest, AuthorizeDecision, JwkSet, Jwk, ServerMetadata, UserInfo, HealthStatus,
        ErrorBody, ErrorCode, ErrorDetail,
        CreatePartnerRequest, PartnerView, CreateClientRequest, ClientView, SecretView,
        CreatedClient, RotateSecretRequest, RotatedSecret, CreateUserRequest, UserView,
        AddMemberRequest, MembershipView, GrantEntitlementRequest, EntitlementView,
        RotateKeyRequest, KeyView, KeyState,
        CreateApplicationRequest, UpdateApplicationRequest, ApplicationView, ConsentView,
        UserResource, GroupView, MemberView,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "oauth", description = "Tokens, introspection, revocation, authorization, keys and metadata"),
        (name = "admin", description = "Partners, clients, users, groups, entitlements and signing keys (bearer token with scope admin)"),
        (name = "accounts", description = "The user center as JSON (bearer token with scope profile)"),
        (name = "operations", description = "Probes, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// The schemes the operations name: `client` (RFC 6749 2.3.1 HTTP Basic
/// with client id and secret) and `bearer` (an access token of this server).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "client",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "client_secret_basic: client id and secret, form-urlencoded, as user \
                         and password; client_secret_post sends them as client_id and \
                         client_secret in the body instead",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            idmap_web::openapi::bearer_scheme("Access token (RFC 9068) from /oauth/token"),
        );
    }
}

/// The document as pretty JSON.
pub fn document() -> String {
    idmap_web::openapi::document::<ApiDoc>()
}

/// `GET /openapi.json`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    idmap_web::openapi::configure::<ApiDoc>(cfg, crate::error::method_not_allowed("GET"));
}
