//! The user-facing grants of the token endpoint: exchanging an
//! authorization code, rotating a refresh token, and (when enabled) the
//! password grant. Each checks the request with the pure grant in
//! `domain::grants`, signs the access token, and starts or rotates a
//! refresh-token family; a replayed code or refresh token revokes what it
//! issued.

use super::families::{self, FamilyGrant};
use super::token::{TokenError, TokenService, Tokens, narrowed};
use super::users;
use crate::db::{auth_codes, now_unix, refresh_tokens};
use crate::domain::authorize::user_grant_scopes;
use crate::domain::client::Client;
use crate::domain::grants::authorization_code::{self, StoredCode};
use crate::domain::grants::refresh_token::{self, StoredRefresh};
use crate::domain::grants::{AccessGrant, GrantType};
use crate::domain::oauth_error::OAuthError;
use crate::domain::opaque::{self, OpaqueToken};
use crate::domain::params::Params;
use crate::domain::pkce::CodeChallenge;
use crate::domain::resource;
use crate::domain::scopes::{AudienceKind, ScopeSet};

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
        if row.used_at.is_some() {
            return Err(self.code_replayed(&row).await);
        }
        let stored = StoredCode {
            client_id: row.client_id.clone(),
            user_id: row.user_id.clone(),
            redirect_uri: row.redirect_uri.clone(),
            scopes: ScopeSet::parse(&row.scopes)
                .map_err(|_| TokenError::Corrupt("code scopes".into()))?,
            resource: row.resource.clone(),
            challenge: row.code_challenge.clone().map(CodeChallenge::from_stored),
            expires_at: row.expires_at,
        };
        let grant = authorization_code::grant(
            client,
            &stored,
            params.get("redirect_uri"),
            params.get("code_verifier"),
            now_unix(),
        )?;
        self.check_user_active(&stored.user_id).await?;
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
        let row_new = families::new_row(&refresh, &family_id, &family, &access, self.refresh_ttl);
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
        let stored = StoredRefresh {
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
        let grant = refresh_token::grant(client, &stored, params.get("scope"), now_unix())?;
        if let Some(user) = &stored.user_id {
            self.check_user_active(user).await?;
        }
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
            scopes: row.scopes.clone(),
            resource: row.resource.clone(),
        };
        let access = self.issuer.issue(&narrowed(grant, resource)?)?;
        let next = OpaqueToken::generate();
        let next_row = families::new_row(&next, &row.family_id, &family, &access, self.refresh_ttl);
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
        let scopes = user_grant_scopes(client, params.get("scope"))?;
        let user = users::authenticate(&self.db, username, password)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("wrong username or password"))?;
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
        );
        families::start(&self.db, row).await?;
        Ok(Tokens {
            grant_type: GrantType::Password,
            access,
            refresh_token: Some(refresh.expose().to_owned()),
        })
    }

    async fn check_user_active(&self, user_id: &str) -> Result<(), TokenError> {
        match users::find(&self.db, user_id).await? {
            Some(u) if !u.disabled => Ok(()),
            _ => Err(OAuthError::invalid_grant("the user is disabled or gone").into()),
        }
    }
}
