//! The `next` parameter of the login page: only a path on this server, so
//! the login form cannot be turned into an open redirect.

/// Accepts `/...` paths that cannot be read as another origin
/// (`//host`, `/\host`), and nothing with control characters.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 4096
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_only() {
        assert!(is_local_path("/oauth/authorize?client_id=a&state=b"));
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/a\nb",
            "/a\\b",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}
