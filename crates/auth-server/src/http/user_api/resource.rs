//! `GET /accounts/resource/user/{id}/` and `/accounts/resource/group/{id}/`
//! for applications holding a user's `profile` token: JSON by default,
//! `{id}.json` for JSON and `{id}.html` for a page. The token's user sees
//! their own record; the groups they belong to, and those groups' members,
//! only with the scope `groups` as well (the consent page names it
//! separately, since it shares other people's addresses). Anything else is
//! a 404, so ids of other users and groups cannot be probed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use idmap_storage::Database;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth;
use crate::error::ApiError;
use crate::pages::templates::Templates;
use crate::services::groups::{self, MembershipView};

/// The representation a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
}

/// Splits `{id}/`, `{id}`, `{id}.json` or `{id}.html` into id and format.
fn parse_tail(tail: &str) -> Option<(&str, Format)> {
    let (id, format) = if let Some(id) = tail.strip_suffix(".json") {
        (id, Format::Json)
    } else if let Some(id) = tail.strip_suffix(".html") {
        (id, Format::Html)
    } else {
        (tail.strip_suffix('/').unwrap_or(tail), Format::Json)
    };
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some((id, format))
}

/// The token's own user record, with the groups the user belongs to when
/// the token has the scope `groups`.
#[derive(Serialize, ToSchema)]
pub struct UserResource {
    id: String,
    email: String,
    email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<MembershipView>>,
}

/// The scope that shares group membership.
const GROUPS_SCOPE: &str = "groups";

fn respond<T: Serialize>(
    templates: &Templates,
    format: Format,
    template: &str,
    key: &str,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    match format {
        Format::Json => Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(value)),
        Format::Html => {
            let ctx: minijinja::Value = [(key, minijinja::Value::from_serialize(value))]
                .into_iter()
                .collect();
            templates.page(StatusCode::OK, template, ctx)
        }
    }
}

pub async fn get_user(
    auth::TokenUser { user, claims }: auth::TokenUser,
    path: web::Path<String>,
    db: web::Data<Database>,
    templates: web::Data<Templates>,
) -> Result<HttpResponse, ApiError> {
    let (id, format) = parse_tail(&path).ok_or(ApiError::NotFound)?;
    if id != user.id {
        return Err(ApiError::NotFound);
    }
    let groups = if claims.has_scope(GROUPS_SCOPE) {
        Some(groups::of_user(&db, &user.id).await?)
    } else {
        None
    };
    let body = UserResource {
        id: user.id,
        email: user.email,
        email_verified: user.email_verified,
        groups,
    };
    respond(&templates, format, "resource_user.html", "user", &body)
}

pub async fn get_group(
    auth::TokenUser { user, claims }: auth::TokenUser,
    path: web::Path<String>,
    db: web::Data<Database>,
    templates: web::Data<Templates>,
) -> Result<HttpResponse, ApiError> {
    if !claims.has_scope(GROUPS_SCOPE) {
        return Err(auth::refused("scope 'groups' is required"));
    }
    let (id, format) = parse_tail(&path).ok_or(ApiError::NotFound)?;
    let group = groups::visible_group(&db, &user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    respond(&templates, format, "resource_group.html", "group", &group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_choose_the_format() {
        let id = "0b5c6a52-6a1e-4a4e-9d0e-2d2f5f0e9a11";
        assert_eq!(parse_tail(&format!("{id}/")), Some((id, Format::Json)));
        assert_eq!(parse_tail(id), Some((id, Format::Json)));
        assert_eq!(parse_tail(&format!("{id}.json")), Some((id, Format::Json)));
        assert_eq!(parse_tail(&format!("{id}.html")), Some((id, Format::Html)));
        assert_eq!(parse_tail(".json"), None);
        assert_eq!(parse_tail("a/b"), None);
        assert_eq!(parse_tail("../x"), None);
    }
}
