//! The metadata document of `GET /.well-known/oauth-authorization-server`
//! (RFC 8414): exactly what this server implements, with the configuration
//! switches applied and endpoint URLs built from the issuer.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::client_auth::AuthMethod;
use crate::domain::grants::GrantType;
use crate::domain::scopes::Scope;

/// The metadata document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub userinfo_endpoint: String,
    pub grant_types_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    pub authorization_response_iss_parameter_supported: bool,
}

impl ServerMetadata {
    /// Builds the document for `issuer` (no trailing slash) and the grant switches.
    pub fn new(issuer: &str, password: bool, implicit: bool) -> Self {
        let secret_methods: Vec<&'static str> =
            [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost]
                .iter()
                .map(|m| m.as_str())
                .collect();
        // Public clients (`none`) use the token endpoint with PKCE and may
        // revoke their own tokens; introspection is for confidential callers.
        let mut with_none = secret_methods.clone();
        with_none.push(AuthMethod::None.as_str());
        let mut response_types = vec!["code"];
        let mut response_modes = vec!["query"];
        if implicit {
            response_types.push("token");
            response_modes.push("fragment");
        }
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: format!("{issuer}/oauth/authorize"),
            token_endpoint: format!("{issuer}/oauth/token"),
            jwks_uri: format!("{issuer}/oauth/jwks.json"),
            introspection_endpoint: format!("{issuer}/oauth/introspect"),
            revocation_endpoint: format!("{issuer}/oauth/revoke"),
            userinfo_endpoint: format!("{issuer}/oauth/userinfo"),
            grant_types_supported: GrantType::enabled(password, implicit),
            response_types_supported: response_types,
            response_modes_supported: response_modes,
            token_endpoint_auth_methods_supported: with_none.clone(),
            introspection_endpoint_auth_methods_supported: secret_methods,
            revocation_endpoint_auth_methods_supported: with_none,
            code_challenge_methods_supported: vec!["S256"],
            scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            authorization_response_iss_parameter_supported: false,
        }
    }
}
