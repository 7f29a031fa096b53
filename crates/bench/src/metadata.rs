//! Where an authorization server takes tokens and introspections: read from
//! its metadata (RFC 8414, or OpenID discovery for servers that publish only
//! that) unless given, so that one code path drives auth-server and a peer
//! whose endpoints live elsewhere.

use anyhow::{Context, bail};
use serde_json::Value;

use crate::http::{Endpoint, Target};

/// The metadata documents tried in turn.
const DOCUMENTS: [&str; 2] = [
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
];

/// The endpoints the auth scenarios post to.
#[derive(Debug, Clone)]
pub struct AuthEndpoints {
    pub token: Endpoint,
    pub introspection: Endpoint,
}

/// Endpoint URLs given on the command line, which win over the metadata.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub token: Option<String>,
    pub introspection: Option<String>,
}

/// The endpoints of the server at `base`; the metadata is fetched only when
/// an endpoint is not given.
pub async fn discover(base: &Target, given: &Given) -> anyhow::Result<AuthEndpoints> {
    let metadata = if given.token.is_some() && given.introspection.is_some() {
        Value::Null
    } else {
        fetch(base).await?
    };
    endpoints(&metadata, given)
}

/// Picks each endpoint from `given` or else from `metadata`.
pub fn endpoints(metadata: &Value, given: &Given) -> anyhow::Result<AuthEndpoints> {
    let pick = |given: &Option<String>, field: &str, option: &str| {
        let url = match given {
            Some(url) => url.as_str(),
            None => metadata[field].as_str().with_context(|| {
                format!("the server's metadata has no {field}; give --{option}")
            })?,
        };
        Endpoint::parse(url).with_context(|| format!("{field} {url}"))
    };
    Ok(AuthEndpoints {
        token: pick(&given.token, "token_endpoint", "token-endpoint")?,
        introspection: pick(
            &given.introspection,
            "introspection_endpoint",
            "introspection-endpoint",
        )?,
    })
}

async fn fetch(base: &Target) -> anyhow::Result<Value> {
    let http = crate::http::reqwest_client(1)?;
    let mut refused = Vec::new();
    for path in DOCUMENTS {
        let url = format!("{}{path}", base.base);
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                return r
                    .json()
                    .await
                    .with_context(|| format!("{url}: not a JSON document"));
            }
            Ok(r) => refused.push(format!("{url}: {}", r.status())),
            Err(e) => refused.push(format!("{url}: {e}")),
        }
    }
    bail!("no authorization server metadata: {}", refused.join("; "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn endpoints_come_from_the_metadata() {
        let metadata = json!({
            "issuer": "http://127.0.0.1:9000",
            "token_endpoint": "http://127.0.0.1:9000/token",
            "introspection_endpoint": "http://127.0.0.1:9000/token/introspection",
        });
        let e = endpoints(&metadata, &Given::default()).unwrap();
        assert_eq!(e.token.url(), "http://127.0.0.1:9000/token");
        assert_eq!(e.introspection.path, "/token/introspection");
    }

    #[test]
    fn given_endpoints_win() {
        let metadata = json!({
            "token_endpoint": "http://127.0.0.1:9000/token",
            "introspection_endpoint": "http://127.0.0.1:9000/token/introspection",
        });
        let given = Given {
            token: Some("http://127.0.0.1:9001/oauth/token".into()),
            introspection: None,
        };
        let e = endpoints(&metadata, &given).unwrap();
        assert_eq!(e.token.url(), "http://127.0.0.1:9001/oauth/token");
        assert_eq!(
            e.introspection.url(),
            "http://127.0.0.1:9000/token/introspection"
        );
    }

    #[test]
    fn a_missing_endpoint_names_its_option() {
        let metadata = json!({ "token_endpoint": "http://127.0.0.1:9000/token" });
        let err = endpoints(&metadata, &Given::default()).unwrap_err();
        assert!(
            format!("{err:#}").contains("--introspection-endpoint"),
            "{err:#}"
        );
    }
}
