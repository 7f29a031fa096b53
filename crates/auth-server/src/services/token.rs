//! The token endpoint's use case: authenticate the client, run the grant,
//! sign the token. Storage and key failures come back as [`TokenError`].

use std::sync::Arc;

use idmap_common::ids::PartnerCode;
use idmap_storage::{Database, StorageError};

use super::issuer::{IssuedToken, TokenIssuer};
use crate::db::{clients as db_clients, now_unix};
use crate::domain::client::{Client, ClientId, ClientKind};
use crate::domain::client_auth;
use crate::domain::client_secret::{SecretHash, SecretHasher};
use crate::domain::grants::{GrantType, client_credentials};
use crate::domain::oauth_error::OAuthError;
use crate::domain::params::Params;
use crate::domain::scopes::ScopeSet;
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
}

/// Everything the token endpoint needs, shared by all workers.
#[derive(Clone)]
pub struct TokenService {
    db: Database,
    hasher: Arc<SecretHasher>,
    issuer: TokenIssuer,
}

impl TokenService {
    /// Wires the service to its storage, secret hasher and issuer.
    pub fn new(db: Database, hasher: Arc<SecretHasher>, issuer: TokenIssuer) -> Self {
        Self { db, hasher, issuer }
    }

    /// Handles one token request: `authorization` is the raw header value.
    pub async fn token(
        &self,
        authorization: Option<&[u8]>,
        params: &Params,
    ) -> Result<IssuedToken, TokenError> {
        let presented = client_auth::extract(authorization, params)?;
        let grant_type = GrantType::parse(params.required("grant_type")?)?;
        let client = self.load_client(&presented.client_id).await?;
        if let Err(e) = client_auth::verify(&presented, client.as_ref(), &self.hasher) {
            tracing::info!(client_id = %presented.client_id, method = ?presented.method, "client authentication failed");
            return Err(e.into());
        }
        let Some(client) = client else {
            return Err(OAuthError::invalid_client().into());
        };
        let grant = match grant_type {
            GrantType::ClientCredentials => {
                client_credentials::grant(&client, params.get("scope"))?
            }
        };
        let issued = self.issuer.issue(&grant)?;
        tracing::info!(
            client_id = %client.id,
            grant_type = grant_type.as_str(),
            scope = %issued.scope,
            "issued an access token"
        );
        Ok(issued)
    }

    async fn load_client(&self, id: &ClientId) -> Result<Option<Client>, TokenError> {
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
