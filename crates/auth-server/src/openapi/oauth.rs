//! Operation stubs of the OAuth endpoints, discovery, probes and this
//! document: documentation only, never routed.
#![expect(dead_code, reason = "documentation stubs")]

use idmap_common::error::ErrorBody;

use super::schemas::{
    AuthorizeDecision, IntrospectRequest, JwkSet, OAuthErrorBody, RevokeRequest, TokenRequest,
};
use crate::http::health::HealthStatus;
use crate::http::oauth::token::TokenResponse;
use crate::http::oauth::userinfo::UserInfo;
use crate::services::introspect::Introspection;
use crate::services::metadata::ServerMetadata;

#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    description = "Issues an access token (RFC 6749 section 5.1; never cached). Confidential \
        clients authenticate with HTTP Basic or client_id and client_secret in the body; public \
        clients send only client_id (authorization code with PKCE, refresh token).",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security(("client" = []), ()),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant, unauthorized_client, \
            unsupported_grant_type, invalid_scope or invalid_target", body = OAuthErrorBody),
        (status = 401, description = "invalid_client, with a Basic challenge", body = OAuthErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 429, description = "Too many failed authentications of this client or \
            address; see Retry-After", body = ErrorBody),
        (status = 500, body = ErrorBody),
        (status = 503, description = "Database unavailable; see Retry-After", body = ErrorBody),
    ))]
fn post_token() {}

#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    description = "RFC 7662: whether a token is active and what it grants. Confidential clients \
        only; a client sees its own tokens, or any with scope introspect. Every unknown, \
        expired, revoked or hidden token is just inactive.",
    request_body(content = IntrospectRequest, content_type = "application/x-www-form-urlencoded"),
    security(("client" = [])),
    responses(
        (status = 200, body = Introspection),
        (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
fn post_introspect() {}

#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth",
    description = "RFC 7009: ends a token the client holds (a refresh token ends its family). \
        Unknown tokens are answered 200 too.",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    security(("client" = []), ()),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke"),
        (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
fn post_revoke() {}

#[utoipa::path(get, path = "/oauth/authorize", tag = "oauth",
    description = "RFC 6749 4.1.1 (code, PKCE S256 required for public clients) and 4.2.1 \
        (token, when enabled). Signs the user in if needed, then shows the consent page or, for \
        a remembered approval, redirects back at once.",
    params(
        ("response_type" = String, Query, description = "`code`, or `token` when enabled"),
        ("client_id" = String, Query),
        ("redirect_uri" = Option<String>, Query, description = "Required when the client has several"),
        ("scope" = Option<String>, Query),
        ("state" = Option<String>, Query),
        ("code_challenge" = Option<String>, Query),
        ("code_challenge_method" = Option<String>, Query, description = "`S256`"),
        ("resource" = Option<String>, Query, description = "RFC 8707 resource indicator"),
    ),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html"),
        (status = 302, description = "Back to the client with a code, a token (fragment) or an error"),
        (status = 303, description = "To the login page, coming back here"),
        (status = 400, description = "Unknown client or bad redirect URI: an error page, no redirect", content_type = "text/html"),
        (status = 403, description = "The user's e-mail address is not verified yet", content_type = "text/html"),
    ))]
fn get_authorize() {}

#[utoipa::path(post, path = "/oauth/authorize", tag = "oauth",
    description = "The consent form: checked against the session's CSRF token, validated again, \
        then the approval is remembered and the client gets its code or token.",
    request_body(content = AuthorizeDecision, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "Back to the client with a code, a token (fragment) or access_denied"),
        (status = 303, description = "To the login page"),
        (status = 400, description = "An error page", content_type = "text/html"),
        (status = 403, description = "The form expired or came from another site", content_type = "text/html"),
    ))]
fn post_authorize() {}

#[utoipa::path(get, path = "/oauth/jwks.json", tag = "oauth",
    description = "The public keys verifiers fetch and cache; max-age never runs past the next \
        scheduled key change.",
    responses((status = 200, body = JwkSet)))]
fn get_jwks() {}

#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth",
    description = "RFC 8414 metadata: exactly what this server implements with its current \
        switches.",
    responses((status = 200, body = ServerMetadata)))]
fn get_metadata() {}

#[utoipa::path(get, path = "/oauth/userinfo", tag = "oauth",
    description = "Who the user behind a token is.",
    security(("bearer" = ["profile"])),
    responses(
        (status = 200, body = UserInfo),
        (status = 401, description = "Missing or invalid token, or no longer an active user", body = ErrorBody),
        (status = 403, description = "insufficient_scope", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
fn get_userinfo() {}

#[utoipa::path(post, path = "/oauth/userinfo", tag = "oauth",
    description = "The same as GET (OpenID Connect Core 5.3.1).",
    security(("bearer" = ["profile"])),
    responses(
        (status = 200, body = UserInfo),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
fn post_userinfo() {}

#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, body = HealthStatus)))]
fn get_live() {}

#[utoipa::path(get, path = "/health/ready", tag = "operations",
    description = "Ready while the database answers.",
    responses((status = 200, body = HealthStatus), (status = 503, body = ErrorBody)))]
fn get_ready() {}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus text format (see the operator guide for the metrics).",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String)))]
fn get_metrics() {}

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
fn get_openapi() {}
