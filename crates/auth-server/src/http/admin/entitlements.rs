//! `/admin/api/v1/entitlements`: list, grant (to a user or a partner's
//! group) and withdraw the scopes that user-facing grants may carry only
//! for entitled users (`idmap:read`, `idmap:admin`).

use actix_web::{HttpRequest, HttpResponse, web};
use idmap_storage::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::{bearer, body};
use crate::services::entitlements::{self, Holder};

/// A scope to entitle one user, or every member of a partner's group, to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantEntitlementRequest {
    /// `idmap:read` or `idmap:admin`.
    scope: String,
    /// User id or e-mail address (give this or `partner`).
    user: Option<String>,
    /// Partner code: the partner's group (created on first use).
    partner: Option<String>,
}

pub async fn list_entitlements(
    _admin: bearer::Admin,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(entitlements::list(&db).await?))
}

pub async fn grant_entitlement(
    admin: bearer::Admin,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let b: GrantEntitlementRequest = body::json(&req, payload).await?;
    let holder = match (b.user, b.partner) {
        (Some(u), None) => Holder::User(u),
        (None, Some(p)) => Holder::Partner(p),
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of user and partner".into(),
            ));
        }
    };
    let (granted, created) = entitlements::grant(&db, holder, &b.scope).await?;
    tracing::info!(admin = %admin.sub, entitlement = %granted.id, scope = %granted.scope, "entitlement granted");
    let mut resp = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(resp.json(granted))
}

pub async fn revoke_entitlement(
    admin: bearer::Admin,
    path: web::Path<String>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    entitlements::revoke(&db, &path).await?;
    tracing::info!(admin = %admin.sub, entitlement = %path, "entitlement withdrawn");
    Ok(HttpResponse::NoContent().finish())
}
