//! Rules: `GET /api/v1/admin/rules` lists them; `POST /api/v1/admin/rules`
//! `{"code": "F_L_D_X", "description": "...", "priority": 100, "m": 0.95,
//! "u": 0.01}` registers one (201; 409 when it exists; priority, m and u
//! optional, m and u together); `PATCH /api/v1/admin/rules/{code}`
//! `{"priority": .., "m": .., "u": ..}` changes them, built-ins too;
//! `POST /api/v1/admin/rules/estimate` `{"apply": bool, "min_comparisons":
//! n}` answers the EM estimate of m and u over the agreement patterns the
//! server counted (under the `evidence` policy) and, with `apply`, stores
//! it. This instance uses a change at once; other replicas on the first
//! request naming an unknown code (their cache reloads at most every 2 s
//! then) and at the latest after 30 s.

use actix_web::{HttpResponse, web};
use idmap_common::ids::RuleCode;
use serde::{Deserialize, Serialize};

use super::AdminCall;
use crate::auth::{self, Authorized};
use crate::db::admin;
use crate::db::rules::{DEFAULT_PRIORITY, Rule};
use crate::domain::evidence::is_probability;
use crate::error::ApiError;
use crate::routes::resource;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/admin/rules")
            .route(web::get().to(get_rules))
            .route(web::post().to(post_rule)),
    )
    .service(resource("/api/v1/admin/rules/estimate").route(web::post().to(post_estimate)))
    .service(resource("/api/v1/admin/rules/{code}").route(web::patch().to(patch_rule)));
}

/// Highest accepted priority (lower decides first).
const MAX_PRIORITY: i32 = 1_000_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub code: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub m: Option<f64>,
    #[serde(default)]
    pub u: Option<f64>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub m: Option<f64>,
    #[serde(default)]
    pub u: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RulesResponse {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// Store the estimates as the rules' m and u.
    pub apply: bool,
    /// Rules compared fewer times get no estimate (default 100).
    #[serde(default)]
    pub min_comparisons: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleEstimate {
    pub code: String,
    pub m: Option<f64>,
    pub u: Option<f64>,
    /// Comparisons in which the rule agreed or disagreed.
    pub comparisons: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EstimateResponse {
    pub rules: Vec<RuleEstimate>,
    pub applied: bool,
}

fn check_priority(p: Option<i32>) -> Result<(), ApiError> {
    match p {
        Some(p) if !(0..=MAX_PRIORITY).contains(&p) => Err(ApiError::BadRequest(format!(
            "priority must be between 0 and {MAX_PRIORITY}"
        ))),
        _ => Ok(()),
    }
}

/// m and u come together, each strictly between 0 and 1.
fn check_weights(m: Option<f64>, u: Option<f64>) -> Result<Option<(f64, f64)>, ApiError> {
    match (m, u) {
        (None, None) => Ok(None),
        (Some(m), Some(u)) if is_probability(m) && is_probability(u) => Ok(Some((m, u))),
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "m and u must be strictly between 0 and 1".into(),
        )),
        _ => Err(ApiError::BadRequest(
            "m and u must be given together".into(),
        )),
    }
}

pub async fn get_rules(
    state: web::Data<AppState>,
    _caller: Authorized<auth::Admin>,
) -> Result<HttpResponse, ApiError> {
    let rules = admin::rules(&state.db).await?;
    Ok(HttpResponse::Ok().json(RulesResponse { rules }))
}

pub async fn post_rule(
    state: web::Data<AppState>,
    call: AdminCall,
) -> Result<HttpResponse, ApiError> {
    let request: RuleRequest = call.body.json().await?;
    let code =
        RuleCode::parse(&request.code).map_err(|e| ApiError::BadRequest(format!("code {e}")))?;
    if request.description.chars().count() > 255 {
        return Err(ApiError::BadRequest(
            "description is longer than 255 characters".into(),
        ));
    }
    check_priority(request.priority)?;
    let weights = check_weights(request.m, request.u)?;
    let rule = Rule {
        code: code.as_str().to_owned(),
        description: request.description,
        priority: request.priority.unwrap_or(DEFAULT_PRIORITY),
        m: weights.map(|w| w.0),
        u: weights.map(|w| w.1),
    };
    let created = admin::register_rule(&state.db, rule.clone(), call.actor).await?;
    if !created {
        return Err(ApiError::Conflict(format!(
            "rule {} is registered already",
            code.as_str()
        )));
    }
    state.rules.invalidate();
    Ok(HttpResponse::Created().json(rule))
}

pub async fn patch_rule(
    state: web::Data<AppState>,
    call: AdminCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = RuleCode::parse(&path).map_err(|_| ApiError::NotFound)?;
    let request: RuleUpdate = call.body.json().await?;
    check_priority(request.priority)?;
    let weights = check_weights(request.m, request.u)?;
    if request.priority.is_none() && weights.is_none() {
        return Err(ApiError::BadRequest(
            "give priority, or m and u, or both".into(),
        ));
    }
    let updated = admin::update_rule(
        &state.db,
        code.as_str().to_owned(),
        request.priority,
        weights,
        call.actor,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    state.rules.invalidate();
    Ok(HttpResponse::Ok().json(updated))
}

pub async fn post_estimate(
    state: web::Data<AppState>,
    call: AdminCall,
) -> Result<HttpResponse, ApiError> {
    let request: EstimateRequest = call.body.json().await?;
    let min = request.min_comparisons.unwrap_or(100);
    let estimates = admin::estimate_rules(&state.db, min, request.apply, call.actor).await?;
    if request.apply {
        state.rules.invalidate();
    }
    let rules = estimates
        .into_iter()
        .map(|e| RuleEstimate {
            code: e.code,
            m: e.m,
            u: e.u,
            comparisons: e.comparisons,
        })
        .collect();
    Ok(HttpResponse::Ok().json(EstimateResponse {
        rules,
        applied: request.apply,
    }))
}
