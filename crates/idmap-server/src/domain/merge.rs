//! When an admin may merge UUID A into UUID B, decided over the locked state
//! the store read. Merges never form a cycle and never repeat: a UUID is
//! merged at most once, and a target that was itself merged is followed to
//! its survivor (so "A into B" after "B into C" merges A into C), unless
//! that survivor is A, which would be a cycle.

use idmap_common::LinkUuid;

/// Why a merge is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRefusal {
    /// `from` and `into` are the same UUID.
    SameUuid,
    /// No such UUID is stored.
    Unknown(LinkUuid),
    /// `from` was merged before; it answers `into` already.
    AlreadyMerged { into: LinkUuid },
    /// The target (after following merges) is `from` itself.
    Cycle,
}

/// The survivor `from` is merged into, or why not. `from_alias` is where
/// `from` already points (`None` for a live UUID); `into_survivor` is the
/// live UUID reached from `into` by following merges.
pub fn decide(
    from: LinkUuid,
    into: LinkUuid,
    from_alias: Option<LinkUuid>,
    into_survivor: LinkUuid,
) -> Result<LinkUuid, MergeRefusal> {
    if from == into {
        return Err(MergeRefusal::SameUuid);
    }
    if let Some(existing) = from_alias {
        return Err(MergeRefusal::AlreadyMerged { into: existing });
    }
    if into_survivor == from {
        return Err(MergeRefusal::Cycle);
    }
    Ok(into_survivor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u8) -> LinkUuid {
        LinkUuid::from_slice(&[n; 16]).unwrap()
    }

    #[test]
    fn live_into_live_merges_into_the_target() {
        assert_eq!(decide(u(1), u(2), None, u(2)), Ok(u(2)));
    }

    #[test]
    fn a_merged_target_is_followed_to_its_survivor() {
        assert_eq!(decide(u(1), u(2), None, u(3)), Ok(u(3)));
    }

    #[test]
    fn same_repeated_and_cyclic_merges_are_refused() {
        assert_eq!(decide(u(1), u(1), None, u(1)), Err(MergeRefusal::SameUuid));
        assert_eq!(
            decide(u(1), u(2), Some(u(2)), u(2)),
            Err(MergeRefusal::AlreadyMerged { into: u(2) })
        );
        // B into A after A into B: A's survivor is B itself.
        assert_eq!(decide(u(2), u(1), None, u(2)), Err(MergeRefusal::Cycle));
    }
}
