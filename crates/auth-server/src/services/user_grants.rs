//! The user-facing grants of the token endpoint: exchanging an
//! authorization code, rotating a refresh token, and (when enabled) the
//! password grant. Each checks the request with the pure grant in
//! `domain::grants`, keeps only the scopes the user is still entitled to
//! (`domain::entitlements`), signs the access token, and starts or rotates
//! a refresh-token family; a replayed code or refresh token revokes what
//! it issued.

use super::entitlements;
use super::families::{self, FamilyGrant};
use super::token::{TokenError, TokenService, Tokens, narrowed};
use super::users;
use crate::db::{auth_codes, refresh_tokens, users as db_users};
use crate::domain::authorize::user_grant_scopes;
use crate::domain::client::Client;
use crate::domain::entitlements::permitted;
use crate::domain::grants::authorization_code::{self, StoredCode};
use crate::domain::grants::refresh_token::{self, StoredRefresh};
use crate::domain::grants::{AccessGrant, GrantType};
use crate::domain::oauth_error::OAuthError;
use crate::domain::opaque::{self, OpaqueToken};
use crate::domain::params::Params;
use crate::domain::pkce::CodeChallenge;
use crate::domain::resource;
use crate::domain::scopes::{AudienceKind, Scope, ScopeSet};
use idmap_common::clock::now_unix;

impl TokenService {
    pub(super) async fn exchange_code(
        &self,
        client: &Client,
        params: &Params,
        resource: Option<AudienceKind>,
    ) -> Result<Tokens, TokenError> {
        let code_hash = opaque::hash(params.required("code")?);
        let key = code_hash.clone();
        let row = self
            .db
            .run(move |c| Ok(auth_codes::find(c, &key)?))
            .await?
            .ok_or_else(|| {
                OAuthError::invalid_grant("the authorization code is invalid or expired")
            })?;
        let stored = StoredCode {
            client_id: row.client_id.clone(),
            user_id: row.user_id.clone(),
            redirect_uri: row.redirect_uri.clone(),
            redirect_uri_given: row.redirect_uri_given,
            scopes: ScopeSet::parse(&row.scopes)
                .map_err(|_| TokenError::Corrupt("code scopes".into()))?,
            resource: row.resource.clone(),
            challenge: row.code_challenge.clone().map(CodeChallenge::from_stored),
            expires_at: row.expires_at,
            used: row.used_at.is_some(),
        };
        if authorization_code::is_replay(client, &stored) {
            return Err(self.code_replayed(&row).await);
        }
        let mut grant = authorization_code::grant(
            client,
            &stored,
            params.get("redirect_uri"),
            params.get("code_verifier"),
            now_unix(),
        )?;
        let held = self.active_user_scopes(&stored.user_id).await?;
        grant.scopes = permitted(&grant.scopes, &held).ok_or_else(|| {
            OAuthError::invalid_grant("the user is no longer entitled to the scopes of this code")
        })?;
        let resource = match resource {
            Some(r) => Some(r),
            None => stored
                .resource
                .as_deref()
                .map(|r| resource::parse(r, self.issuer.issuer()))
                .transpose()?,
        };
        let family = FamilyGrant {
            client_id: client.id.as_str().to_owned(),
            user_id: Some(stored.user_id.clone()),
            scopes: grant.scopes.to_string(),
            resource: stored.resource.clone(),
        };
        let access = self.issuer.issue(&narrowed(grant, resource)?)?;
        let refresh = OpaqueToken::generate();
        let family_id = uuid::Uuid::new_v4().to_string();
        let row_new = families::new_row(
            &refresh,
            &family_id,
            &family,
            &access,
            self.refresh_ttl,
            self.family_end(),
        );
        if !families::redeem_code(&self.db, code_hash, row_new).await? {
            return Err(self.code_replayed(&row).await);
        }
        Ok(Tokens {
            grant_type: GrantType::AuthorizationCode,
            access,
            refresh_token: Some(refresh.expose().to_owned()),
        })
    }

    /// RFC 6749 4.1.2: a code used twice revokes what it issued.
    async fn code_replayed(&self, row: &auth_codes::CodeRow) -> TokenError {
        tracing::warn!(client_id = %row.client_id, "authorization code reused; revoking its tokens");
        let key = row.code_hash.clone();
        // Read again: the winning redemption may have recorded its tokens since.
        let fresh = self.db.run(move |c| Ok(auth_codes::find(c, &key)?)).await;
        let row = match fresh {
            Ok(Some(r)) => r,
            _ => row.clone(),
        };
        let access = row.access_jti.clone().zip(row.access_expires_at);
        if let Err(e) = families::revoke_code_issue(&self.db, row.family_id.clone(), access).await {
            return e.into();
        }
        OAuthError::invalid_grant("the authorization code is invalid or expired").into()
    }

    pub(super) async fn refresh(
        &self,
        client: &Client,
        params: &Params,
        resource: Option<AudienceKind>,
    ) -> Result<Tokens, TokenError> {
        let hash = opaque::hash(params.required("refresh_token")?);
        let key = hash.clone();
        let row = self
            .db
            .run(move |c| Ok(refresh_tokens::find(c, &key)?))
            .await?
            .ok_or_else(|| {
                OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
            })?;
        let mut stored = StoredRefresh {
            client_id: row.client_id.clone(),
            user_id: row.user_id.clone(),
            scopes: ScopeSet::parse(&row.scopes)
                .map_err(|_| TokenError::Corrupt("refresh scopes".into()))?,
            expires_at: row.expires_at,
            spent: row.used_at.is_some() || row.revoked,
        };
        if refresh_token::is_reuse(client, &stored) {
            return Err(self.refresh_replayed(&row.family_id).await);
        }
        // Checked before the user's entitlements are read, so a foreign or
        // dead token costs no further trip.
        refresh_token::grant(client, &stored, None, now_unix())?;
        if let Some(user) = &stored.user_id {
            // The family keeps only what the user still holds, for good:
            // an entitlement granted again later needs a new authorization.
            let held = self.active_user_scopes(user).await?;
            stored.scopes = permitted(&stored.scopes, &held).ok_or_else(|| {
                OAuthError::invalid_grant(
                    "the user is no longer entitled to the scopes of this grant",
                )
            })?;
        }
        let grant = refresh_token::grant(client, &stored, params.get("scope"), now_unix())?;
        let resource = match resource {
            Some(r) => Some(r),
            None => row
                .resource
                .as_deref()
                .map(|r| resource::parse(r, self.issuer.issuer()))
                .transpose()?,
        };
        let family = FamilyGrant {
            client_id: row.client_id.clone(),
            user_id: row.user_id.clone(),
            scopes: stored.scopes.to_string(),
            resource: row.resource.clone(),
        };
        let access = self.issuer.issue(&narrowed(grant, resource)?)?;
        let next = OpaqueToken::generate();
        let next_row = families::new_row(
            &next,
            &row.family_id,
            &family,
            &access,
            self.refresh_ttl,
            row.family_expires_at,
        );
        if !families::rotate(&self.db, hash, next_row).await? {
            // Lost the compare-and-swap: a concurrent presentation of the
            // same token. That is a reuse like any other.
            return Err(self.refresh_replayed(&row.family_id).await);
        }
        Ok(Tokens {
            grant_type: GrantType::RefreshToken,
            access,
            refresh_token: Some(next.expose().to_owned()),
        })
    }

    async fn refresh_replayed(&self, family_id: &str) -> TokenError {
        tracing::warn!(family_id, "refresh token reused; revoking its family");
        if let Err(e) = families::revoke(&self.db, family_id.to_owned()).await {
            return e.into();
        }
        OAuthError::invalid_grant("the refresh token was already used; the grant is revoked").into()
    }

    pub(super) async fn password(
        &self,
        client: &Client,
        params: &Params,
        resource: Option<AudienceKind>,
    ) -> Result<Tokens, TokenError> {
        let username = params.required("username")?;
        let password = params.required("password")?;
        let asked = user_grant_scopes(client, params.get("scope"))?;
        let user = users::authenticate(&self.db, username, password)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("wrong username or password"))?;
        if !user.email_verified {
            return Err(OAuthError::invalid_grant(
                "confirm your e-mail address before granting an application access",
            )
            .into());
        }
        let held = self.active_user_scopes(&user.id).await?;
        let scopes = permitted(&asked, &held).ok_or_else(|| {
            OAuthError::invalid_scope("the user is not entitled to any scope asked for")
        })?;
        let grant = AccessGrant {
            subject: user.id.clone(),
            client_id: client.id.clone(),
            scopes,
            partner: None,
        };
        let family = FamilyGrant {
            client_id: client.id.as_str().to_owned(),
            user_id: Some(user.id),
            scopes: grant.scopes.to_string(),
            resource: None,
        };
        let access = self.issuer.issue(&narrowed(grant, resource)?)?;
        let refresh = OpaqueToken::generate();
        let row = families::new_row(
            &refresh,
            &uuid::Uuid::new_v4().to_string(),
            &family,
            &access,
            self.refresh_ttl,
            self.family_end(),
        );
        families::start(&self.db, row).await?;
        Ok(Tokens {
            grant_type: GrantType::Password,
            access,
            refresh_token: Some(refresh.expose().to_owned()),
        })
    }

    /// The entitled scopes of an enabled user, read in one trip;
    /// `invalid_grant` for a disabled or deleted user.
    async fn active_user_scopes(&self, user_id: &str) -> Result<Vec<Scope>, TokenError> {
        let id = user_id.to_owned();
        self.db
            .run(move |c| match db_users::find(c, &id)? {
                Some(u) if !u.disabled => entitlements::held(c, &id).map(Some),
                _ => Ok(None),
            })
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the user is disabled or gone").into())
    }

    /// When a family started now ends.
    fn family_end(&self) -> i64 {
        now_unix().saturating_add(self.family_ttl)
    }
}
