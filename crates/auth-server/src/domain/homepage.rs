//! The homepage an application's owner may give, shown as a link on the
//! consent page so the user can see who asks. Only `https` (plain `http`
//! only on a loopback host, for development): the link must not be a
//! `javascript:` or `data:` URL, and it must not carry credentials.
//!
//! No logo is taken: an image on the consent page would be fetched from
//! the owner's server by every user's browser before they decide (telling
//! that server who looks and when), and an owner could copy a well-known
//! brand's logo to look like it. Name, owner and homepage are text the user
//! can check.

use url::{Host, Url};

/// Longest homepage URL accepted.
pub const MAX_LEN: usize = 2048;

/// The homepage of a form field: `None` when left empty; the error is for
/// the person registering the application.
pub fn parse(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > MAX_LEN || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the homepage must be one address of at most {MAX_LEN} characters, without spaces"
        ));
    }
    let url = Url::parse(text).map_err(|_| {
        format!("the homepage '{text}' is not a complete address such as https://app.example.org")
    })?;
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let secure = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !secure || url.host().is_none() {
        return Err(format!("the homepage '{text}' must be an https address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the homepage '{text}' must not contain a user name or password"
        ));
    }
    Ok(Some(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_none_and_https_is_kept() {
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(
            parse(" https://ward.example.org/about ")
                .unwrap()
                .as_deref(),
            Some("https://ward.example.org/about")
        );
        assert_eq!(
            parse("http://127.0.0.1:3000").unwrap().as_deref(),
            Some("http://127.0.0.1:3000/")
        );
    }

    #[test]
    fn scripts_plain_http_and_credentials_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http://ward.example.org",
            "ward.example.org",
            "https://user:pw@ward.example.org",
            "https://ward.example.org/a b",
            "file:///etc/passwd",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.starts_with("the homepage"), "{bad}: {e}");
        }
        assert!(parse(&format!("https://x.org/{}", "a".repeat(MAX_LEN))).is_err());
    }
}
