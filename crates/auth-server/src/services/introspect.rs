//! Introspection (RFC 7662) and revocation (RFC 7009) of the tokens we
//! issued. Access tokens are checked locally (signature, expiry, the
//! revocation list); refresh tokens are looked up by hash. A caller sees a
//! token only if it is the token's own client or holds scope `introspect`;
//! anyone else learns `{"active": false}` and nothing more.

use idmap_common::claims::AccessClaims;
use idmap_storage::{Database, StorageError};
use serde::Serialize;
use utoipa::ToSchema;

use super::access_tokens::LocalVerifier;
use super::credentials::Credentials;
use super::families;
use super::token::TokenError;
use crate::db::refresh_tokens::{self, RefreshRow};
use crate::db::revoked_tokens;
use crate::domain::client::Client;
use crate::domain::opaque;
use crate::domain::scopes::Scope;
use idmap_common::clock::now_unix;

/// RFC 7662 section 2.2 response.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<idmap_common::claims::Audience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

impl Introspection {
    /// The answer for unknown, invalid, expired, revoked or hidden tokens.
    pub fn inactive() -> Self {
        Self::default()
    }
}

/// Whether `caller` may see a token issued to `token_client`.
pub fn may_see(caller: &Client, token_client: &str) -> bool {
    caller.id.as_str() == token_client || caller.scopes.contains(Scope::Introspect)
}

/// Looks like a JWT (three dot-separated parts)?
fn is_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

/// What an introspection still has to read once the signature is checked.
pub enum Pending {
    /// Nothing we could have issued: no read needed.
    Inactive,
    /// A well-signed access token; the revocation list (in memory, see
    /// [`Credentials`]) decides.
    Access(Box<AccessClaims>),
    /// An opaque token, looked up by hash as a refresh token.
    Refresh(Vec<u8>),
}

/// The outcome of [`Pending::read`], to be answered for the caller.
pub enum Found {
    Inactive,
    Access(Box<AccessClaims>),
    Refresh(Option<Box<RefreshRow>>),
}

/// The checks that need no database: the signature of an access token.
pub fn prepare(verifier: &LocalVerifier, token: Option<&str>) -> Pending {
    match token {
        None => Pending::Inactive,
        Some(t) if is_jwt(t) => verifier
            .verify_signature(t)
            .map_or(Pending::Inactive, |c| Pending::Access(Box::new(c))),
        Some(t) => Pending::Refresh(opaque::hash(t)),
    }
}

impl Pending {
    /// Reads what the token's state depends on: nothing from the database
    /// for an access token.
    pub async fn read(
        self,
        db: &Database,
        credentials: &Credentials,
    ) -> Result<Found, StorageError> {
        Ok(match self {
            Pending::Inactive => Found::Inactive,
            Pending::Access(c) if credentials.is_revoked(&c.jti).await? => Found::Inactive,
            Pending::Access(c) => Found::Access(c),
            Pending::Refresh(hash) => Found::Refresh(
                db.run(move |conn| Ok(refresh_tokens::find(conn, &hash)?))
                    .await?
                    .map(Box::new),
            ),
        })
    }
}

/// The answer `caller` gets about a token in state `found`.
pub fn answer(caller: &Client, found: Found) -> Introspection {
    match found {
        Found::Inactive => Introspection::inactive(),
        Found::Access(c) if !may_see(caller, &c.client_id) => Introspection::inactive(),
        Found::Access(c) => {
            let c = *c;
            Introspection {
                active: true,
                scope: Some(c.scope),
                client_id: Some(c.client_id),
                sub: Some(c.sub),
                aud: Some(c.aud),
                iss: Some(c.iss),
                exp: Some(c.exp),
                iat: Some(c.iat),
                nbf: Some(c.nbf),
                jti: Some(c.jti),
                token_type: Some("Bearer"),
                partner: c.partner,
            }
        }
        Found::Refresh(None) => Introspection::inactive(),
        Found::Refresh(Some(row)) => {
            let row = *row;
            let live = row.used_at.is_none() && !row.revoked && row.expires_at > now_unix();
            if !live || !may_see(caller, &row.client_id) {
                return Introspection::inactive();
            }
            Introspection {
                active: true,
                scope: Some(row.scopes),
                client_id: Some(row.client_id),
                sub: row.user_id,
                exp: Some(row.expires_at),
                iat: Some(row.created_at),
                token_type: Some("refresh_token"),
                ..Introspection::default()
            }
        }
    }
}

/// Revokes `token` if it is `caller`'s own; anything else is silently
/// ignored (RFC 7009 2.2: the answer is 200 either way).
pub async fn revoke(
    db: &Database,
    verifier: &LocalVerifier,
    caller: &Client,
    token: &str,
) -> Result<(), TokenError> {
    if is_jwt(token) {
        if let Some(c) = verifier.verify_signature(token)
            && c.client_id == caller.id.as_str()
        {
            let (jti, exp) = (c.jti, c.exp);
            db.transaction(move |conn| Ok(revoked_tokens::revoke(conn, &jti, exp, now_unix())?))
                .await?;
            tracing::info!(client_id = %caller.id, "access token revoked");
        }
        return Ok(());
    }
    let hash = opaque::hash(token);
    let found = db.run(move |c| Ok(refresh_tokens::find(c, &hash)?)).await?;
    if let Some(row) = found
        && row.client_id == caller.id.as_str()
    {
        // RFC 7009 2.1: revoking a refresh token ends its whole grant.
        families::revoke(db, row.family_id).await?;
        tracing::info!(client_id = %caller.id, "refresh token family revoked");
    }
    Ok(())
}
