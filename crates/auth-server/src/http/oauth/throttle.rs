//! The rate-limit gate of the endpoints where clients authenticate (token,
//! introspection, revocation): refuse a blocked client id, address or
//! account before any work, and count a failure afterwards. The password
//! grant is throttled with the login form's limiter and the same keys, so
//! the two together give a guesser no more tries than the form alone.

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use idmap_common::error::ErrorCode;

use crate::domain::client_auth::PresentedCredentials;
use crate::domain::params::Params;
use crate::domain::user::Email;
use crate::http::extract::ClientForm;
use crate::http::state::OAuthState;
use crate::pages::client_ip::client_ip;
use crate::pages::extract::LocalBoxFuture;
use crate::services::token::TokenError;

/// A client's form post at the gate, as a handler argument: the form, the
/// OAuth state, and the address the limiters count.
pub struct ClientCall {
    pub form: ClientForm,
    pub oauth: web::Data<OAuthState>,
    ip: Option<IpAddr>,
}

impl FromRequest for ClientCall {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(ClientForm, web::Data<OAuthState>)>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let (form, oauth) = parts.await?;
            let ip = client_ip(&req, &oauth.trusted_proxies);
            Ok(Self { form, oauth, ip })
        })
    }
}

impl ClientCall {
    /// Runs `work` with the client's credentials behind the gate: refused
    /// at once (429) when blocked, and its outcome counted. Credentials
    /// that do not parse fail here, after the gate, like a failed
    /// authentication.
    pub async fn guarded<T>(
        &self,
        work: impl AsyncFnOnce(&PresentedCredentials) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let gate = Gate::enter(&self.oauth, self.ip, &self.form)?;
        let result = match &self.form.credentials {
            Ok(presented) => work(presented).await,
            Err(e) => Err(e.clone().into()),
        };
        gate.leave(&self.oauth, &result).await;
        result
    }
}

/// Who is asking, as far as the limiters are concerned.
struct Gate {
    client_id: Option<String>,
    ip: Option<IpAddr>,
    /// `Some` for a password grant: the account it names, if it is an address.
    password_for: Option<Option<String>>,
}

impl Gate {
    /// Refuses at once (429) if the client id from this address, the
    /// address, or (password grant) the account is blocked.
    fn enter(
        oauth: &OAuthState,
        ip: Option<IpAddr>,
        form: &ClientForm,
    ) -> Result<Self, TokenError> {
        let client_id = form
            .credentials
            .as_ref()
            .ok()
            .map(|c| c.client_id.as_str().to_owned());
        oauth
            .client_limiter
            .check(client_id.as_deref(), ip)
            .map_err(TokenError::RateLimited)?;
        let password_for = password_account(&form.params);
        if let Some(account) = &password_for {
            oauth
                .login_limiter
                .check(account.as_deref(), ip)
                .map_err(TokenError::RateLimited)?;
        }
        Ok(Self {
            client_id,
            ip,
            password_for,
        })
    }

    /// Counts the outcome: a failed client authentication against the
    /// client limiter, a refused password grant against the login
    /// limiter; a success marks the client id as well-behaved.
    async fn leave<T>(&self, oauth: &OAuthState, result: &Result<T, TokenError>) {
        match (result, &self.password_for) {
            (Err(TokenError::OAuth(e)), _) if e.is_client_authentication_failure() => {
                oauth
                    .client_limiter
                    .record_failure(self.client_id.as_deref(), self.ip)
                    .await;
            }
            (Err(TokenError::OAuth(e)), Some(account)) if e.code == ErrorCode::InvalidGrant => {
                oauth
                    .login_limiter
                    .record_failure(account.as_deref(), self.ip)
                    .await;
            }
            // Only a full success proves the credentials (other errors may
            // come before authentication).
            (Ok(_), _) => {
                if let Some(id) = &self.client_id {
                    oauth.client_limiter.record_success(id);
                }
            }
            (Err(_), _) => {}
        }
    }
}

/// `Some` for a password grant: the account it names, if it is an address.
fn password_account(params: &Params) -> Option<Option<String>> {
    (params.get("grant_type") == Some("password")).then(|| {
        params
            .get("username")
            .and_then(Email::parse)
            .map(|e| e.as_str().to_owned())
    })
}
