//! glibc's allocator gives each thread that contends for it an arena of its
//! own, up to eight per core, and keeps what is freed there for reuse. A
//! service whose blocking threads take turns on SQLite page caches and large
//! request bodies ends up holding the same working set once per arena:
//! idmap-server peaked at 148 MiB of RSS for 41 MiB of live heap under
//! 1,000-patient requests. Two arenas keep the two cores from contending on
//! one lock and cut the peak to about half (see docs/benchmarks.md).

/// Arenas unless the operator set `MALLOC_ARENA_MAX` (glibc reads it at
/// start-up, and it then wins).
pub const DEFAULT_ARENAS: i32 = 2;

/// Caps glibc's malloc arenas at [`DEFAULT_ARENAS`]; call first thing in
/// `main`, before threads start. Returns whether the cap was applied: not
/// when `MALLOC_ARENA_MAX` is set, nor on a libc other than glibc.
pub fn limit_arenas() -> bool {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return false;
    }
    set_arena_max(DEFAULT_ARENAS)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_arena_max(arenas: i32) -> bool {
    // SAFETY: mallopt only stores a tuning value; M_ARENA_MAX takes any
    // positive count, and glibc serialises it with its own lock.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_arenas: i32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_accepts_the_arena_cap() {
        assert!(set_arena_max(DEFAULT_ARENAS));
    }
}
