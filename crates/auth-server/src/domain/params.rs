//! The parameters of a form-encoded OAuth request, with RFC 6749 section 3
//! rules applied once: a parameter sent twice is an error, and one sent
//! without a value counts as omitted.

use std::collections::HashMap;

use super::oauth_error::OAuthError;

/// Longest parameter name and value kept; longer ones are refused.
const MAX_VALUE_LEN: usize = 4096;

/// Request parameters by name, each present at most once and non-empty.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Builds the map from decoded pairs in request order.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, OAuthError> {
        let mut map = HashMap::with_capacity(pairs.len());
        let mut seen = std::collections::HashSet::with_capacity(pairs.len());
        for (name, value) in pairs {
            if name.len() > MAX_VALUE_LEN || value.len() > MAX_VALUE_LEN {
                return Err(OAuthError::invalid_request("a parameter is too long"));
            }
            if !seen.insert(name.clone()) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter '{}' is repeated",
                    printable(&name)
                )));
            }
            if !value.is_empty() {
                map.insert(name, value);
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter the request cannot do without.
    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter '{name}'")))
    }
}

/// Echoes a client-sent name only if it is short, plain ASCII.
fn printable(name: &str) -> &str {
    if name.len() <= 40 && name.bytes().all(|b| b.is_ascii_graphic()) {
        name
    } else {
        "(unprintable)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let err = Params::from_pairs(pairs(&[("scope", "a"), ("scope", "b")])).unwrap_err();
        assert_eq!(err.code, idmap_common::error::ErrorCode::InvalidRequest);
        assert!(err.description.contains("scope"));
    }

    #[test]
    fn empty_values_count_as_omitted() {
        let p = Params::from_pairs(pairs(&[("scope", ""), ("grant_type", "x")])).unwrap();
        assert_eq!(p.get("scope"), None);
        assert_eq!(p.required("grant_type").unwrap(), "x");
        assert!(p.required("scope").is_err());
    }
}
