//! Schemas of what the OAuth endpoints read and write without a type of
//! their own: the form-encoded requests (the handlers take plain pairs so
//! that RFC 6749's parameter rules are applied in one place, `Params`), the
//! RFC 6749 error body, and the RFC 7517 JWK Set (built by `jsonwebtoken`).
//! Documentation only: never constructed.

use serde::Serialize;
use utoipa::ToSchema;

/// `POST /oauth/token` (RFC 6749 sections 4.1.3, 4.3.2, 4.4.2, 6): which
/// parameters count depends on `grant_type`. A parameter sent twice is
/// refused; an empty one counts as absent.
#[derive(Serialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`, `authorization_code`, `refresh_token`, or
    /// `password` when `AUTH_ENABLE_PASSWORD_GRANT` is on.
    pub grant_type: String,
    /// Space-separated scopes; defaults to all the client (or the refresh
    /// token) holds, and may only narrow them.
    pub scope: Option<String>,
    /// RFC 8707 resource indicator: narrows the token's audience.
    pub resource: Option<String>,
    /// authorization_code: the code from the redirect.
    pub code: Option<String>,
    /// authorization_code: the redirect URI of the authorization request.
    pub redirect_uri: Option<String>,
    /// authorization_code: the PKCE verifier (RFC 7636).
    pub code_verifier: Option<String>,
    /// refresh_token: the refresh token, rotated on every use.
    pub refresh_token: Option<String>,
    /// password: the user's e-mail address.
    pub username: Option<String>,
    /// password: the user's password.
    pub password: Option<String>,
    /// client_secret_post, or a public client identifying itself.
    pub client_id: Option<String>,
    /// client_secret_post.
    pub client_secret: Option<String>,
}

/// `POST /oauth/introspect` (RFC 7662 section 2.1).
#[derive(Serialize, ToSchema)]
pub struct IntrospectRequest {
    /// An access token or a refresh token of this server.
    pub token: String,
    /// Accepted and not needed: the server tells the kinds apart.
    pub token_type_hint: Option<String>,
    /// client_secret_post.
    pub client_id: Option<String>,
    /// client_secret_post.
    pub client_secret: Option<String>,
}

/// `POST /oauth/revoke` (RFC 7009 section 2.1).
#[derive(Serialize, ToSchema)]
pub struct RevokeRequest {
    /// An access token or a refresh token (which ends its whole family).
    pub token: String,
    /// Accepted and not needed: the server tells the kinds apart.
    pub token_type_hint: Option<String>,
    /// client_secret_post, or a public client identifying itself.
    pub client_id: Option<String>,
    /// client_secret_post.
    pub client_secret: Option<String>,
}

/// The consent form `GET /oauth/authorize` shows, posted back: the
/// authorization request's parameters again, plus the user's answer.
#[derive(Serialize, ToSchema)]
pub struct AuthorizeDecision {
    /// `code`, or `token` when `AUTH_ENABLE_IMPLICIT_GRANT` is on.
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// `S256`.
    pub code_challenge_method: Option<String>,
    pub resource: Option<String>,
    /// The token of the form, tied to the login session.
    pub csrf_token: String,
    /// `allow`; anything else denies (`access_denied`).
    pub decision: String,
}

/// An RFC 6749 section 5.2 error.
#[derive(Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope` or
    /// `invalid_target` (RFC 8707).
    pub error: String,
    /// Safe to show; never names a secret.
    pub error_description: String,
}

/// RFC 7517 JWK Set: every key that may have signed a live token, and the
/// next key once it is published ahead of signing.
#[derive(Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// One public key (RFC 7517 section 4, RFC 7518 section 6).
#[derive(Serialize, ToSchema)]
pub struct Jwk {
    /// `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
    /// RFC 7638 thumbprint of the key.
    pub kid: String,
    /// RSA modulus.
    pub n: Option<String>,
    /// RSA exponent.
    pub e: Option<String>,
    /// `P-256` (EC) or `Ed25519` (OKP).
    pub crv: Option<String>,
    /// EC or OKP public point.
    pub x: Option<String>,
    /// EC public point.
    pub y: Option<String>,
}
