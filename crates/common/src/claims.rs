//! Access-token claims (RFC 9068) shared by the issuer and every verifier.

use serde::{Deserialize, Serialize};

/// `typ` header value of every access token we issue (RFC 9068 section 2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Audience of tokens for the ID-mapping API.
pub const IDMAP_AUDIENCE: &str = "idmap";

/// Claims of an access token; field names are the JWT claim names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// Client id for client-credentials tokens, user id otherwise.
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub client_id: String,
    /// Space-separated scope list, as in OAuth.
    pub scope: String,
    /// Partner code of a partner client; absent for internal clients and users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

impl AccessClaims {
    /// Whether the space-separated `scope` claim contains `wanted` exactly.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope.split(' ').any(|s| s == wanted)
    }
}

/// `aud` is a string for one audience and an array for several (RFC 7519 4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Builds the canonical form: a plain string when there is exactly one.
    pub fn from_list(mut list: Vec<String>) -> Self {
        if list.len() == 1 {
            Self::One(list.remove(0))
        } else {
            Self::Many(list)
        }
    }

    pub fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(a) => a == wanted,
            Self::Many(list) => list.iter().any(|a| a == wanted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(aud: Audience) -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "c1".into(),
            aud,
            exp: 2,
            iat: 1,
            nbf: 1,
            jti: "j".into(),
            client_id: "c1".into(),
            scope: "idmap:link idmap:readx".into(),
            partner: None,
        }
    }

    #[test]
    fn audience_serializes_as_string_for_one_and_array_for_many() {
        let one = serde_json::to_value(claims(Audience::from_list(vec!["idmap".into()]))).unwrap();
        assert_eq!(one["aud"], "idmap");
        let many = Audience::from_list(vec!["a".into(), "b".into()]);
        assert_eq!(
            serde_json::to_value(&many).unwrap(),
            serde_json::json!(["a", "b"])
        );
        assert!(many.contains("b") && !many.contains("c"));
    }

    #[test]
    fn partner_is_omitted_when_absent() {
        let v = serde_json::to_value(claims(Audience::One("idmap".into()))).unwrap();
        assert!(v.get("partner").is_none());
    }

    #[test]
    fn scope_match_is_exact() {
        let c = claims(Audience::One("idmap".into()));
        assert!(c.has_scope("idmap:link"));
        assert!(!c.has_scope("idmap:read"));
    }
}
