//! The one clock of the services: unix seconds, the unit of every time
//! column, token claim and cache deadline.

/// Now, in unix seconds; a clock before 1970 reads as 0.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
