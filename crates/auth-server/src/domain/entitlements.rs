//! Which scopes a user-facing grant may carry for one user: every scope
//! that needs no entitlement, plus those an operator entitled the user to,
//! directly or through a group. Applied to the authorization request (so
//! the consent page never offers more), again when the code is exchanged
//! and at every refresh, so that a withdrawn entitlement stops the next
//! token from carrying the scope.
//!
//! Scopes the user may not hold are dropped, not refused: RFC 6749 3.3 lets
//! the server grant less than was asked, and the `scope` of the answer says
//! what was granted. Only when nothing is left is the request refused.

use super::scopes::{Scope, ScopeSet};

/// The scopes of `requested` the user may hold, given the entitled scopes
/// `held`; `None` when none is left.
pub fn permitted(requested: &ScopeSet, held: &[Scope]) -> Option<ScopeSet> {
    requested.filter(|s| !s.needs_entitlement() || held.contains(&s))
}

/// Parses a scope an operator may entitle a user or a group to.
pub fn parse_scope(s: &str) -> Result<Scope, String> {
    let entitled: Vec<&str> = Scope::ALL
        .into_iter()
        .filter(|s| s.needs_entitlement())
        .map(Scope::as_str)
        .collect();
    Scope::parse(s.trim())
        .ok()
        .filter(|s| s.needs_entitlement())
        .ok_or_else(|| {
            format!(
                "'{s}' is not a scope users are entitled to (those are: {})",
                entitled.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap()
    }

    #[test]
    fn unentitled_patient_data_scopes_are_dropped() {
        let asked = set("idmap:read idmap:admin profile");
        assert_eq!(permitted(&asked, &[]).unwrap().to_string(), "profile");
        assert_eq!(
            permitted(&asked, &[Scope::IdmapRead]).unwrap().to_string(),
            "idmap:read profile"
        );
        assert_eq!(
            permitted(&asked, &[Scope::IdmapAdmin, Scope::IdmapRead])
                .unwrap()
                .to_string(),
            "idmap:read idmap:admin profile"
        );
    }

    #[test]
    fn nothing_left_is_none() {
        assert!(permitted(&set("idmap:read"), &[]).is_none());
        assert!(permitted(&set("idmap:read"), &[Scope::IdmapAdmin]).is_none());
        assert_eq!(
            permitted(&set("groups"), &[]).unwrap().to_string(),
            "groups"
        );
    }

    #[test]
    fn only_entitlement_scopes_can_be_granted() {
        assert_eq!(parse_scope("idmap:read"), Ok(Scope::IdmapRead));
        assert_eq!(parse_scope(" idmap:admin "), Ok(Scope::IdmapAdmin));
        for s in ["profile", "admin", "idmap:link", "nope", ""] {
            assert!(parse_scope(s).is_err(), "{s}");
        }
    }
}
