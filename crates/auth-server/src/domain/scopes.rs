//! The scopes this server grants, their parsing (RFC 6749 section 3.3),
//! the audience each one maps to, and which of them a user must be
//! entitled to before a user-facing grant may carry them.

use std::fmt;

use idmap_common::ids::{
    SCOPE_ADMIN, SCOPE_IDMAP_ADMIN, SCOPE_INTROSPECT, SCOPE_LINK, SCOPE_PROFILE, SCOPE_READ,
    split_scopes,
};

/// One known scope; the declaration order is the canonical output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    IdmapLink,
    IdmapRead,
    IdmapAdmin,
    Admin,
    Introspect,
    Profile,
    Groups,
}

/// The wire name of [`Scope::Groups`]; only this server serves it, so it
/// is not among the shared names of `idmap_common`.
const SCOPE_GROUPS: &str = "groups";

/// Who a scope's tokens are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceKind {
    /// The ID-mapping API (`aud: "idmap"`).
    Idmap,
    /// This server itself (`aud` is the issuer URL).
    Issuer,
}

/// Why a scope string was refused; the message is safe to show a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope contains characters RFC 6749 does not allow")]
    Malformed,
    #[error("unknown scope '{0}'")]
    Unknown(String),
    #[error("no scope given")]
    Empty,
}

impl Scope {
    /// Every scope, in canonical order (also what metadata advertises).
    pub const ALL: [Scope; 7] = [
        Scope::IdmapLink,
        Scope::IdmapRead,
        Scope::IdmapAdmin,
        Scope::Admin,
        Scope::Introspect,
        Scope::Profile,
        Scope::Groups,
    ];

    /// The scope's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::IdmapLink => SCOPE_LINK,
            Scope::IdmapRead => SCOPE_READ,
            Scope::IdmapAdmin => SCOPE_IDMAP_ADMIN,
            Scope::Admin => SCOPE_ADMIN,
            Scope::Introspect => SCOPE_INTROSPECT,
            Scope::Profile => SCOPE_PROFILE,
            Scope::Groups => SCOPE_GROUPS,
        }
    }

    /// One scope name; unknown and malformed names are told apart.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                if is_scope_token(s) {
                    ScopeError::Unknown(s.to_owned())
                } else {
                    ScopeError::Malformed
                }
            })
    }

    /// What the scope allows, in plain words for the consent page.
    pub fn description(self) -> &'static str {
        match self {
            Scope::IdmapLink => {
                "Submit patient hashes to the ID-mapping service and receive network-wide patient IDs"
            }
            Scope::IdmapRead => "Look up network-wide patient IDs without creating any",
            Scope::IdmapAdmin => {
                "Administer the ID-mapping service (conflicts, merges, rules, audit log)"
            }
            Scope::Admin => "Administer this sign-in server (partners, clients, users, keys)",
            Scope::Introspect => "Check whether access tokens are still valid",
            Scope::Profile => "See your email address and whether it is verified",
            Scope::Groups => {
                "See the partner groups you belong to, with every member's email address and role"
            }
        }
    }

    /// Whether a user-facing grant may carry this scope only for a user an
    /// operator entitled to it: these reach patient data (lookups answer
    /// "is this hash known", the ID-mapping admin API shows every partner's
    /// conflicts), so holding them must not follow from merely having an
    /// account.
    pub fn needs_entitlement(self) -> bool {
        matches!(self, Scope::IdmapRead | Scope::IdmapAdmin)
    }

    /// API scopes are for `idmap`, the others for this server, so a token for
    /// the ID-mapping API cannot call the admin API and the other way round.
    pub fn audience(self) -> AudienceKind {
        match self {
            Scope::IdmapLink | Scope::IdmapRead | Scope::IdmapAdmin => AudienceKind::Idmap,
            Scope::Admin | Scope::Introspect | Scope::Profile | Scope::Groups => {
                AudienceKind::Issuer
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 section 3.3).
fn is_scope_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_scope_byte)
}

fn is_scope_byte(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

/// A non-empty, duplicate-free set of known scopes in canonical order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses a space-separated scope string; every item must be known.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        if !s.bytes().all(|b| b == b' ' || is_scope_byte(b)) {
            return Err(ScopeError::Malformed);
        }
        let scopes = split_scopes(s)
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_scopes(scopes)
    }

    /// Builds a set, sorting and removing duplicates.
    pub fn from_scopes(mut scopes: Vec<Scope>) -> Result<Self, ScopeError> {
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            Err(ScopeError::Empty)
        } else {
            Ok(Self(scopes))
        }
    }

    /// The scopes in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// The scopes `keep` accepts, in canonical order; `None` when none is left.
    pub fn filter(&self, keep: impl Fn(Scope) -> bool) -> Option<ScopeSet> {
        let kept: Vec<Scope> = self.iter().filter(|s| keep(*s)).collect();
        (!kept.is_empty()).then_some(Self(kept))
    }

    /// Whether every scope of `self` is also in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.contains(*s))
    }

    /// The audiences of these scopes: `idmap` first, then the issuer, each once.
    pub fn audiences(&self, issuer: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.iter().any(|s| s.audience() == AudienceKind::Idmap) {
            out.push(idmap_common::claims::IDMAP_AUDIENCE.to_owned());
        }
        if self.iter().any(|s| s.audience() == AudienceKind::Issuer) {
            out.push(issuer.to_owned());
        }
        out
    }
}

impl fmt::Display for ScopeSet {
    /// The OAuth wire form: scope names joined by single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_scopes_in_canonical_order_without_duplicates() {
        let set = ScopeSet::parse("admin  idmap:link admin").unwrap();
        assert_eq!(set.to_string(), "idmap:link admin");
    }

    #[test]
    fn unknown_malformed_and_empty_are_refused() {
        assert_eq!(
            ScopeSet::parse("idmap:link idmap:write"),
            Err(ScopeError::Unknown("idmap:write".into()))
        );
        assert_eq!(ScopeSet::parse("a\"b"), Err(ScopeError::Malformed));
        assert_eq!(
            ScopeSet::parse("idmap:link\tadmin"),
            Err(ScopeError::Malformed)
        );
        assert_eq!(ScopeSet::parse("é"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse("   "), Err(ScopeError::Empty));
    }

    #[test]
    fn audiences_follow_the_design_mapping() {
        let iss = "https://auth.example";
        assert_eq!(
            ScopeSet::parse("idmap:link idmap:read")
                .unwrap()
                .audiences(iss),
            ["idmap"]
        );
        assert_eq!(
            ScopeSet::parse("introspect profile")
                .unwrap()
                .audiences(iss),
            [iss]
        );
        assert_eq!(
            ScopeSet::parse("admin idmap:admin").unwrap().audiences(iss),
            ["idmap", iss]
        );
    }

    #[test]
    fn only_patient_data_scopes_need_an_entitlement() {
        let needing: Vec<&str> = Scope::ALL
            .into_iter()
            .filter(|s| s.needs_entitlement())
            .map(Scope::as_str)
            .collect();
        assert_eq!(needing, ["idmap:read", "idmap:admin"]);
        let set = ScopeSet::parse("groups profile idmap:read").unwrap();
        assert_eq!(set.to_string(), "idmap:read profile groups");
        assert_eq!(
            set.filter(|s| !s.needs_entitlement()).unwrap().to_string(),
            "profile groups"
        );
        assert!(set.filter(|_| false).is_none());
    }

    #[test]
    fn subset_check() {
        let registered = ScopeSet::parse("idmap:link idmap:read").unwrap();
        assert!(
            ScopeSet::parse("idmap:read")
                .unwrap()
                .is_subset_of(&registered)
        );
        assert!(!ScopeSet::parse("admin").unwrap().is_subset_of(&registered));
    }
}
