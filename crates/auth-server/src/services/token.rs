//! The token endpoint's use case: authenticate the client, run the grant,
//! sign the access token, and for user grants start or rotate a refresh
//! token family. Storage and key failures come back as [`TokenError`].

use std::sync::Arc;

use idmap_common::ids::PartnerCode;
use idmap_storage::{Database, StorageError};

use super::families::{self, FamilyGrant};
use super::issuer::{IssuedToken, TokenIssuer};
use super::users;
use crate::db::{auth_codes, clients as db_clients, now_unix, refresh_tokens};
use crate::domain::authorize::user_grant_scopes;
use crate::domain::client::{Client, ClientId, ClientKind};
use crate::domain::client_auth;
use crate::domain::client_secret::{SecretHash, SecretHasher};
use crate::domain::grants::authorization_code::{self, StoredCode};
use crate::domain::grants::refresh_token::{self, StoredRefresh};
use crate::domain::grants::{AccessGrant, GrantType, client_credentials};
use crate::domain::oauth_error::OAuthError;
use crate::domain::opaque::{self, OpaqueToken};
use crate::domain::params::Params;
use crate::domain::pkce::CodeChallenge;
use crate::domain::resource;
use crate::domain::scopes::{AudienceKind, ScopeSet};
use crate::keys::KeyError;

/// Why a token request failed: the client's fault, or ours.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error("storage failed")]
    Storage(#[from] StorageError),
    #[error("signing failed")]
    Signing(#[from] KeyError),
    #[error("stored client is inconsistent: {0}")]
    Corrupt(String),
    /// The form body exceeded the endpoint's limit (answered 413).
    #[error("request body too large")]
    TooLarge,
    /// Too many failed authentications; retry after this many seconds.
    #[error("too many failed authentications")]
    RateLimited(u64),
}

impl From<super::clients::AdminError> for TokenError {
    fn from(e: super::clients::AdminError) -> Self {
        match e {
            super::clients::AdminError::Storage(s) => Self::Storage(s),
            other => Self::Corrupt(other.to_string()),
        }
    }
}

/// A successful token response.
#[derive(Debug)]
pub struct Tokens {
    pub access: IssuedToken,
    pub refresh_token: Option<String>,
}

/// Everything the token endpoint needs, shared by all workers.
#[derive(Clone)]
pub struct TokenService {
    db: Database,
    hasher: Arc<SecretHasher>,
    issuer: TokenIssuer,
    password_enabled: bool,
    refresh_ttl: i64,
}

impl TokenService {
    /// Wires the service to its storage, secret hasher and issuer.
    pub fn new(db: Database, hasher: Arc<SecretHasher>, issuer: TokenIssuer) -> Self {
        Self {
            db,
            hasher,
            issuer,
            password_enabled: false,
            refresh_ttl: 2_592_000,
        }
    }

    /// Applies the configuration switches of the user grants.
    pub fn with_user_grants(mut self, password_enabled: bool, refresh_ttl: u64) -> Self {
        self.password_enabled = password_enabled;
        self.refresh_ttl = i64::try_from(refresh_ttl).unwrap_or(i64::MAX / 4);
        self
    }

    /// The signer, for grants issued outside the token endpoint (implicit).
    pub fn issuer(&self) -> &TokenIssuer {
        &self.issuer
    }

    /// Authenticates the client of a request (token, introspection,
    /// revocation). Every failure is `invalid_client`.
    pub async fn authenticate(
        &self,
        authorization: Option<&[u8]>,
        params: &Params,
    ) -> Result<Client, TokenError> {
        let presented = client_auth::extract(authorization, params)?;
        let client = self.load_client(&presented.client_id).await?;
        if let Err(e) = client_auth::verify(&presented, client.as_ref(), &self.hasher) {
            tracing::info!(client_id = %presented.client_id, method = ?presented.method, "client authentication failed");
            return Err(e.into());
        }
        client.ok_or_else(|| OAuthError::invalid_client().into())
    }

    /// Handles one token request: `authorization` is the raw header value.
    pub async fn token(
        &self,
        authorization: Option<&[u8]>,
        params: &Params,
    ) -> Result<Tokens, TokenError> {
        client_auth::extract(authorization, params)?;
        let grant_type = GrantType::parse(params.required("grant_type")?, self.password_enabled)?;
        let client = self.authenticate(authorization, params).await?;
        let resource = params
            .get("resource")
            .map(|r| resource::parse(r, self.issuer.issuer()))
            .transpose()?;
        let tokens = match grant_type {
            GrantType::ClientCredentials => {
                let grant = client_credentials::grant(&client, params.get("scope"))?;
                let grant = narrowed(grant, resource)?;
                Tokens {
                    access: self.issuer.issue(&grant)?,
                    refresh_token: None,
                }
            }
            GrantType::AuthorizationCode if client.redirect_uris.is_empty() => {
                return Err(OAuthError::unauthorized_client(
                    "this client has no redirect URI and cannot use authorization codes",
                )
                .into());
            }
            GrantType::AuthorizationCode => self.exchange_code(&client, params, resource).await?,
            GrantType::RefreshToken => self.refresh(&client, params, resource).await?,
            GrantType::Password => self.password(&client, params, resource).await?,
        };
        tracing::info!(
            client_id = %client.id,
            grant_type = grant_type.as_str(),
            scope = %tokens.access.scope,
            "issued an access token"
        );
        Ok(tokens)
    }

    async fn exchange_code(
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
            challenge: row.challenge_clone(),
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

    async fn refresh(
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

    async fn password(
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

    /// Loads a client with its live secrets.
    pub async fn load_client(&self, id: &ClientId) -> Result<Option<Client>, TokenError> {
        let key = id.as_str().to_owned();
        let now = now_unix();
        let found = self
            .db
            .run(move |conn| Ok(db_clients::find_with_secrets(conn, &key, now)?))
            .await?;
        found
            .map(|(row, hashes)| to_domain(row, hashes))
            .transpose()
    }
}

/// Narrows a grant's scopes (and so its `aud`) to the requested resource.
fn narrowed(
    mut grant: AccessGrant,
    resource: Option<AudienceKind>,
) -> Result<AccessGrant, OAuthError> {
    grant.scopes = resource::narrow(&grant.scopes, resource)?;
    Ok(grant)
}

impl auth_codes::CodeRow {
    fn challenge_clone(&self) -> Option<CodeChallenge> {
        self.code_challenge.clone().map(CodeChallenge::from_stored)
    }
}

/// Builds the domain client from stored rows; bad rows are our bug, not the client's.
pub fn to_domain(row: db_clients::ClientRow, hashes: Vec<Vec<u8>>) -> Result<Client, TokenError> {
    let corrupt = |what: &str| TokenError::Corrupt(format!("client {}: {what}", row.client_id));
    let id = ClientId::parse(&row.client_id).ok_or_else(|| corrupt("bad id"))?;
    let scopes = ScopeSet::parse(&row.scopes).map_err(|_| corrupt("bad scopes"))?;
    let partner = row
        .partner_code
        .as_deref()
        .map(PartnerCode::parse)
        .transpose()
        .map_err(|_| corrupt("bad partner code"))?;
    let secret_hashes = hashes
        .into_iter()
        .map(|h| <[u8; 32]>::try_from(h.as_slice()).map(SecretHash))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt("bad secret hash"))?;
    Ok(Client {
        id,
        name: row.name.clone(),
        partner,
        scopes,
        kind: if row.is_public {
            ClientKind::Public
        } else {
            ClientKind::Confidential
        },
        redirect_uris: row.redirect_uris.lines().map(str::to_owned).collect(),
        disabled: row.disabled,
        secret_hashes,
    })
}
