//! `/oauth/authorized_tokens/`: the approvals the signed-in user gave
//! (application, scopes in plain words, date, live token grants, when the
//! application last obtained tokens) and `{id}/revoke/`, which asks for
//! confirmation (GET) like deleting an application does, then withdraws the
//! approval and revokes its tokens (POST).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use idmap_storage::Database;
use serde::Serialize;

use super::extract::SignedIn;
use super::page;
use super::posted::CsrfChecked;
use super::state::PagesState;
use crate::error::ApiError;
use crate::routes::{form, view};
use crate::services::consents;

/// Registers this area's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(view("/oauth/authorized_tokens/", list_authorized))
        .service(form(
            "/oauth/authorized_tokens/{id}/revoke/",
            confirm_revoke,
            revoke_authorized,
        ));
}

#[derive(Serialize)]
struct ScopeLine {
    name: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct Line {
    id: String,
    client_name: String,
    approved: String,
    scopes: Vec<ScopeLine>,
    live_tokens: usize,
    /// `None`: no tokens obtained since the approval.
    last_used: Option<String>,
}

impl From<consents::ConsentView> for Line {
    fn from(c: consents::ConsentView) -> Self {
        Self {
            scopes: consents::scope_lines(&c.scope)
                .into_iter()
                .map(|(name, description)| ScopeLine { name, description })
                .collect(),
            approved: date(c.created_at),
            last_used: c.last_used_at.map(date_time),
            id: c.id,
            client_name: c.client_name,
            live_tokens: c.live_tokens,
        }
    }
}

/// A unix time as a UTC date (`YYYY-MM-DD`), without a date library.
fn date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A unix time as a UTC date and minute.
fn date_time(unix: i64) -> String {
    let minutes = unix.rem_euclid(86_400) / 60;
    format!("{} {:02}:{:02} UTC", date(unix), minutes / 60, minutes % 60)
}

pub async fn list_authorized(
    signed: SignedIn,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let lines: Vec<Line> = consents::list(&db, &signed.user.id)
        .await?
        .into_iter()
        .map(Line::from)
        .collect();
    signed.page(
        &pages,
        StatusCode::OK,
        "authorized_tokens.html",
        minijinja::context! { consents => lines },
    )
}

pub async fn confirm_revoke(
    signed: SignedIn,
    path: web::Path<String>,
    pages: web::Data<PagesState>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let consent = consents::get(&db, &signed.user.id, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    signed.page(
        &pages,
        StatusCode::OK,
        "authorized_token_revoke.html",
        minijinja::context! { c => Line::from(consent) },
    )
}

pub async fn revoke_authorized(
    path: web::Path<String>,
    CsrfChecked { by: signed, .. }: CsrfChecked<()>,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    if !consents::revoke(&db, &signed.user.id, &path).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(user_id = %signed.user.id, "approval withdrawn");
    Ok(page::see_other("/oauth/authorized_tokens/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000), "2023-11-14");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date_time(1_700_000_000), "2023-11-14 22:13 UTC");
    }
}
