//! The OpenAPI 3.1 description of idmap-server, served at
//! `GET /openapi.json` and printed by `idmap-server openapi`
//! (`scripts/openapi.sh` renders it into `docs/`). Schemas are derived from
//! the types the handlers really read and write (`idmap_common::wire`,
//! the error envelope, the admin views); the operations are declared here,
//! one stub per route, so the whole URL map is described in one file. A test
//! checks that every route the app registers is described and vice versa.

use actix_web::web;
use idmap_common::error::{ErrorBody, ErrorCode, ErrorDetail};
use idmap_common::wire::{
    LinkPatient, LinkRequest, LinkResponse, LinkResult, LookupRequest, LookupResponse,
    LookupResult, RuleHash, SaveRequest, SaveResponse, SaveResult,
};
use serde::Serialize;
use utoipa::{Modify, OpenApi, ToSchema};

use crate::db::audit::Entry;
use crate::db::conflicts::ConflictView;
use crate::db::merges::UuidInfo;
use crate::db::rules::Rule;
use crate::db::same_partner::{AmbiguousView, DuplicateView};
use crate::db::stats::{PartnerStats, Stats};
use crate::domain::linkage::SamePartnerPolicy;
use crate::routes::admin::PageResponse;
use crate::routes::admin::config::ConfigResponse;
use crate::routes::admin::conflicts::ResolveRequest;
use crate::routes::admin::merges::{MergeRequest, MergeResponse};
use crate::routes::admin::rules::{
    EstimateRequest, EstimateResponse, RuleEstimate, RuleRequest, RuleUpdate, RulesResponse,
};
use crate::routes::duplicates::DistinctRequest;

/// The older clients' validation error of `/api/save`.
#[derive(Serialize, ToSchema)]
pub struct SaveError {
    /// Always `error`.
    pub status: String,
    pub message: String,
}

/// `/health/*` answers.
#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` (live) or `ready`.
    pub status: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "idmap-server",
        description = "Maps salted sha256 hashes of identifying fields to persistent UUIDs. \
            Every `/api/*` call needs a bearer JWT from auth-server (scopes `idmap:link`, \
            `idmap:read`, `idmap:admin`); errors use the JSON envelope `ErrorBody`.",
        license(name = "Apache-2.0")
    ),
    paths(
        post_link, post_lookup, post_save, get_live, get_ready, get_metrics, get_openapi,
        get_duplicates, post_distinct, get_conflicts, post_resolve, post_merge, get_uuid,
        get_rules, post_rule, patch_rule, post_estimate, get_ambiguous, get_config, get_stats,
        get_audit,
    ),
    components(schemas(
        LinkRequest, LinkPatient, RuleHash, LinkResponse, LinkResult, LookupRequest,
        LookupResponse, LookupResult, SaveRequest, SaveResponse, SaveResult, SaveError,
        ErrorBody, ErrorCode, ErrorDetail, HealthStatus, ConflictView, ResolveRequest,
        MergeRequest, MergeResponse, UuidInfo, RuleRequest, Rule, RuleUpdate, RulesResponse,
        EstimateRequest, EstimateResponse, RuleEstimate, Stats, PartnerStats, Entry,
        DuplicateView, DistinctRequest, AmbiguousView, ConfigResponse, SamePartnerPolicy,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "link", description = "Hashes in, UUIDs out"),
        (name = "admin", description = "Linkage administration (scope idmap:admin)"),
        (name = "operations", description = "Probes, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme every `/api/*` operation names.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            idmap_web::openapi::bearer_scheme(
                "Access token (RFC 9068) from auth-server's /oauth/token",
            ),
        );
    }
}

/// The document as pretty JSON.
pub fn document() -> String {
    idmap_web::openapi::document::<ApiDoc>()
}

/// `GET /openapi.json`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    idmap_web::openapi::configure::<ApiDoc>(cfg, web::to(crate::routes::method_not_allowed));
}

// Operation stubs: documentation only, never routed.

#[utoipa::path(post, path = "/api/v1/link", tag = "link",
    description = "One UUID per patient, in request order. Atomic: all stored or none.",
    request_body = LinkRequest,
    security(("bearer" = ["idmap:link"])),
    responses(
        (status = 200, body = LinkResponse),
        (status = 400, description = "Validation failed; `details` lists every bad item", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "insufficient_scope or partner_required", body = ErrorBody),
        (status = 408, description = "request_timeout: the body stalled", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "salt_mismatch", body = ErrorBody),
        (status = 503, description = "JWKS not loaded, database unavailable, or storage_exhausted (no connections left)", body = ErrorBody),
        (status = 507, description = "storage_exhausted: nothing new can be stored; stored patients are still answered; see Retry-After", body = ErrorBody),
    ))]
#[expect(dead_code, reason = "documentation stub")]
fn post_link() {}

#[utoipa::path(post, path = "/api/v1/lookup", tag = "link",
    description = "The UUID bound to each hash, or null; never creates anything.",
    request_body = LookupRequest,
    security(("bearer" = ["idmap:read"])),
    responses(
        (status = 200, body = LookupResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody),
    ))]
#[expect(dead_code, reason = "documentation stub")]
fn post_lookup() {}

#[utoipa::path(post, path = "/api/save", tag = "link",
    description = "The older clients' endpoint: batch-local labels to 32-hex UUIDs.",
    request_body = SaveRequest,
    security(("bearer" = ["idmap:link"])),
    responses(
        (status = 200, body = SaveResponse),
        (status = 400, description = "Validation failed (older format)", body = SaveError),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, body = ErrorBody),
        (status = 507, description = "storage_exhausted; see Retry-After", body = ErrorBody),
    ))]
#[expect(dead_code, reason = "documentation stub")]
fn post_save() {}

#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, body = HealthStatus)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_live() {}

#[utoipa::path(get, path = "/health/ready", tag = "operations",
    description = "Ready once the JWKS has loaded and while the database answers.",
    responses((status = 200, body = HealthStatus), (status = 503, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_ready() {}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus text format (see the operator guide for the metrics).",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_metrics() {}

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
#[expect(dead_code, reason = "documentation stub")]
fn get_openapi() {}

#[utoipa::path(get, path = "/api/v1/admin/conflicts", tag = "admin",
    params(
        ("status" = Option<String>, Query, description = "`open` (default) or `resolved`"),
        ("after" = Option<i64>, Query, description = "Last id seen"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100"),
    ),
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = PageResponse<ConflictView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_conflicts() {}

#[utoipa::path(post, path = "/api/v1/admin/conflicts/{id}/resolve", tag = "admin",
    params(("id" = i64, Path)),
    request_body(content = Option<ResolveRequest>, description = "Optional note"),
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = ConflictView), (status = 404, body = ErrorBody),
        (status = 409, description = "Resolved already", body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn post_resolve() {}

#[utoipa::path(post, path = "/api/v1/admin/merges", tag = "admin",
    request_body = MergeRequest,
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = MergeResponse), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Merged already, or a cycle", body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn post_merge() {}

#[utoipa::path(get, path = "/api/v1/admin/uuids/{uuid}", tag = "admin",
    params(("uuid" = String, Path, format = "uuid")),
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = UuidInfo), (status = 404, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_uuid() {}

#[utoipa::path(get, path = "/api/v1/duplicates", tag = "link",
    description = "The caller's possible duplicates: pairs of its refs one UUID answers \
        (policies `link` and `evidence`), with the rule codes that tied them; pairs declared \
        distinct are left out. Only the caller's partner.",
    params(
        ("after" = Option<i64>, Query, description = "Last id seen"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100"),
    ),
    security(("bearer" = ["idmap:link"])),
    responses((status = 200, body = PageResponse<DuplicateView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "insufficient_scope or partner_required", body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_duplicates() {}

#[utoipa::path(post, path = "/api/v1/distinct", tag = "link",
    description = "Declares two of the caller's refs different people: the hashes they share \
        stop linking them, whatever the policy. Refs need not exist yet; repeating is harmless.",
    request_body = DistinctRequest,
    security(("bearer" = ["idmap:link"])),
    responses((status = 200, description = "The pair, in byte order", body = DistinctRequest),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "insufficient_scope or partner_required", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn post_distinct() {}

#[utoipa::path(get, path = "/api/v1/admin/rules", tag = "admin",
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = RulesResponse)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_rules() {}

#[utoipa::path(post, path = "/api/v1/admin/rules", tag = "admin",
    request_body = RuleRequest,
    security(("bearer" = ["idmap:admin"])),
    responses((status = 201, body = Rule), (status = 400, body = ErrorBody),
        (status = 409, description = "Registered already", body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn post_rule() {}

#[utoipa::path(patch, path = "/api/v1/admin/rules/{code}", tag = "admin",
    description = "Changes a rule's priority, or its m and u (together), built-in rules too.",
    params(("code" = String, Path)),
    request_body = RuleUpdate,
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = Rule), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn patch_rule() {}

#[utoipa::path(post, path = "/api/v1/admin/rules/estimate", tag = "admin",
    description = "EM estimate of every rule's m and u over the agreement patterns counted \
        under the `evidence` policy; with `apply`, stored as the rules' weights.",
    request_body = EstimateRequest,
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = EstimateResponse), (status = 400, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn post_estimate() {}

#[utoipa::path(get, path = "/api/v1/admin/ambiguous", tag = "admin",
    description = "Ambiguous hashes with the partner whose submission made each ambiguous.",
    params(
        ("partner" = Option<String>, Query, description = "Only this causing partner"),
        ("after" = Option<i64>, Query, description = "Last id seen"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100"),
    ),
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = PageResponse<AmbiguousView>), (status = 400, body = ErrorBody)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_ambiguous() {}

#[utoipa::path(get, path = "/api/v1/admin/config", tag = "admin",
    description = "The linkage settings this server runs with.",
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = ConfigResponse)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_config() {}

#[utoipa::path(get, path = "/api/v1/admin/stats", tag = "admin",
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = Stats)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_stats() {}

#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    params(
        ("after" = Option<i64>, Query, description = "Last id seen"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100"),
    ),
    security(("bearer" = ["idmap:admin"])),
    responses((status = 200, body = PageResponse<Entry>)))]
#[expect(dead_code, reason = "documentation stub")]
fn get_audit() {}
