//! The signed-in user of a request: a session cookie that is intact and
//! unexpired, whose user still exists, is not disabled, and whose session
//! generation is current (logout and password reset bump the generation,
//! so a copied cookie dies with them).

use actix_web::HttpRequest;

use crate::db::users::UserRow;
use crate::error::ApiError;
use crate::routes::AppState;
use crate::services::users;
use idmap_common::clock::now_unix;

use super::session::Session;

/// The session and its live user, if the request has one.
pub async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<(Session, UserRow)>, ApiError> {
    let Some(session) = state.sessions.read(req, now_unix()) else {
        return Ok(None);
    };
    let Some(uid) = session.uid.clone() else {
        return Ok(None);
    };
    let user = users::find(&state.db, &uid)
        .await?
        .filter(|u| !u.disabled && u.session_generation == session.generation);
    Ok(user.map(|u| (session, u)))
}
