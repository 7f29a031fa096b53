//! The token endpoint's use case: authenticate the client, run the grant,
//! sign the access token, and for user grants start or rotate a refresh
//! token family. Storage and key failures come back as [`TokenError`].

use std::sync::Arc;

use idmap_storage::{Database, StorageError};

use super::credentials::Credentials;
use super::issuer::{IssuedToken, TokenIssuer};
use crate::db::clients as db_clients;
use crate::domain::client::{Client, ClientId};
use crate::domain::client_auth::{self, PresentedCredentials};
use crate::domain::client_secret::SecretHasher;
use crate::domain::grants::{AccessGrant, GrantType, client_credentials};
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::domain::resource;
use crate::domain::scopes::AudienceKind;
use crate::keys::KeyError;
use idmap_common::clock::now_unix;

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

impl From<db_clients::CorruptClient> for TokenError {
    fn from(e: db_clients::CorruptClient) -> Self {
        Self::Corrupt(e.0)
    }
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
    /// The grant that issued them, for the metrics.
    pub grant_type: GrantType,
    pub access: IssuedToken,
    pub refresh_token: Option<String>,
}

/// Everything the token endpoint needs, shared by all workers.
#[derive(Clone)]
pub struct TokenService {
    pub(super) db: Database,
    credentials: Credentials,
    hasher: Arc<SecretHasher>,
    pub(super) issuer: TokenIssuer,
    password_enabled: bool,
    pub(super) refresh_ttl: i64,
    /// Absolute lifetime of a refresh-token family.
    pub(super) family_ttl: i64,
}

impl TokenService {
    /// Wires the service to its storage, secret hasher and issuer.
    pub fn new(
        db: Database,
        credentials: Credentials,
        hasher: Arc<SecretHasher>,
        issuer: TokenIssuer,
    ) -> Self {
        Self {
            db,
            credentials,
            hasher,
            issuer,
            password_enabled: false,
            refresh_ttl: 2_592_000,
            family_ttl: 7_776_000,
        }
    }

    /// Applies the configuration switches of the user grants.
    pub fn with_user_grants(
        mut self,
        password_enabled: bool,
        refresh_ttl: u64,
        family_ttl: u64,
    ) -> Self {
        self.password_enabled = password_enabled;
        self.refresh_ttl = i64::try_from(refresh_ttl).unwrap_or(i64::MAX / 4);
        self.family_ttl = i64::try_from(family_ttl).unwrap_or(i64::MAX / 4);
        self
    }

    /// The signer, for grants issued outside the token endpoint (implicit).
    pub fn issuer(&self) -> &TokenIssuer {
        &self.issuer
    }

    /// Authenticates the client of a request (token, introspection,
    /// revocation) by the credentials it presented (parsed once, by the
    /// handler's extractor) against the in-memory snapshot of clients
    /// ([`Credentials`]). Every failure is `invalid_client`.
    pub async fn authenticate(
        &self,
        presented: &PresentedCredentials,
    ) -> Result<Client, TokenError> {
        let client = self
            .credentials
            .client(presented.client_id.as_str())
            .await?
            .map(|(row, hashes)| row.into_client(hashes))
            .transpose()?;
        if let Err(e) = client_auth::verify(presented, client.as_ref(), &self.hasher) {
            // A presented id that names no client may be a secret sent in
            // the wrong field: only a known id goes into the log.
            match &client {
                Some(c) => {
                    tracing::info!(client_id = %c.id, method = ?presented.method, "client authentication failed");
                }
                None => {
                    tracing::info!(method = ?presented.method, "client authentication failed: unknown client id");
                }
            }
            return Err(e.into());
        }
        client.ok_or_else(|| OAuthError::invalid_client().into())
    }

    /// The snapshot of clients and revocations this service answers from.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Handles one token request of a client that presented `presented`.
    pub async fn token(
        &self,
        presented: &PresentedCredentials,
        params: &Params,
    ) -> Result<Tokens, TokenError> {
        let grant_type = GrantType::parse(params.required("grant_type")?, self.password_enabled)?;
        let client = self.authenticate(presented).await?;
        let resource = params
            .get("resource")
            .map(|r| resource::parse(r, self.issuer.issuer()))
            .transpose()?;
        let tokens = match grant_type {
            GrantType::ClientCredentials => {
                let grant = client_credentials::grant(&client, params.get("scope"))?;
                let grant = narrowed(grant, resource)?;
                Tokens {
                    grant_type,
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

    /// Loads a client with its live secrets.
    pub async fn load_client(&self, id: &ClientId) -> Result<Option<Client>, TokenError> {
        let key = id.as_str().to_owned();
        let now = now_unix();
        let found = self
            .db
            .run(move |conn| Ok(db_clients::find_with_secrets(conn, &key, now)?))
            .await?;
        Ok(found
            .map(|(row, hashes)| row.into_client(hashes))
            .transpose()?)
    }
}

/// Narrows a grant's scopes (and so its `aud`) to the requested resource.
pub(super) fn narrowed(
    mut grant: AccessGrant,
    resource: Option<AudienceKind>,
) -> Result<AccessGrant, OAuthError> {
    grant.scopes = resource::narrow(&grant.scopes, resource)?;
    Ok(grant)
}
