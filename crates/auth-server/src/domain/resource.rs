//! RFC 8707 resource indicators and the audience of a token: `aud` follows
//! the granted scopes, narrowed to the one `resource` a client names. Only
//! the two audiences this network has are valid resources.

use idmap_common::claims::IDMAP_AUDIENCE;

use super::oauth_error::OAuthError;
use super::scopes::{AudienceKind, Scope, ScopeSet};

/// Parses a `resource` value: `idmap` or the issuer URL (trailing slash ignored).
pub fn parse(resource: &str, issuer: &str) -> Result<AudienceKind, OAuthError> {
    if resource == IDMAP_AUDIENCE {
        Ok(AudienceKind::Idmap)
    } else if resource.trim_end_matches('/') == issuer.trim_end_matches('/') {
        Ok(AudienceKind::Issuer)
    } else {
        Err(OAuthError::invalid_target(
            "unknown resource; valid ones are 'idmap' and the issuer URL",
        ))
    }
}

/// The wire form of an audience kind, for storing a parsed resource.
pub fn as_str(kind: AudienceKind, issuer: &str) -> String {
    match kind {
        AudienceKind::Idmap => IDMAP_AUDIENCE.to_owned(),
        AudienceKind::Issuer => issuer.to_owned(),
    }
}

/// Narrows `scopes` to those meant for `resource`; none left is `invalid_target`.
pub fn narrow(scopes: &ScopeSet, resource: Option<AudienceKind>) -> Result<ScopeSet, OAuthError> {
    let Some(kind) = resource else {
        return Ok(scopes.clone());
    };
    let kept: Vec<Scope> = scopes.iter().filter(|s| s.audience() == kind).collect();
    ScopeSet::from_scopes(kept)
        .map_err(|_| OAuthError::invalid_target("no granted scope applies to this resource"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://auth.example";

    #[test]
    fn only_known_resources_parse() {
        assert_eq!(parse("idmap", ISS).unwrap(), AudienceKind::Idmap);
        assert_eq!(
            parse("https://auth.example/", ISS).unwrap(),
            AudienceKind::Issuer
        );
        let e = parse("https://evil.example", ISS).unwrap_err();
        assert_eq!(e.wire(), "invalid_target");
    }

    #[test]
    fn narrowing_keeps_the_resource_scopes_only() {
        let s = ScopeSet::parse("idmap:read profile").unwrap();
        let n = narrow(&s, Some(AudienceKind::Idmap)).unwrap();
        assert_eq!(n.to_string(), "idmap:read");
        assert_eq!(n.audiences(ISS), ["idmap"]);
        let s = ScopeSet::parse("idmap:read").unwrap();
        assert_eq!(
            narrow(&s, Some(AudienceKind::Issuer)).unwrap_err().wire(),
            "invalid_target"
        );
        assert_eq!(narrow(&s, None).unwrap(), s);
    }
}
