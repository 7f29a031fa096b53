//! Which redirect URIs a client may hold (RFC 6749 3.1.2, RFC 8252 7.1 and
//! 7.3, RFC 9700 2.1 and 4.1) and how the URI of a request is matched
//! against the registered ones.
//!
//! Accepted: `https` URIs; `http` only on a loopback host (`127.0.0.0/8`,
//! `[::1]`, `localhost`), where native and command-line apps receive the
//! code on a local port; and, for public clients (native apps), private-use
//! schemes in reverse-domain form (`org.example.app:/callback`). Anything
//! else (`javascript:`, `data:`, `file:`, plain `http` to another host) is
//! refused, and so are user information, a fragment and whitespace.

use url::{Host, Url};

use super::client::ClientKind;

/// Checks one URI for a client of `kind`; the error is for the person
/// registering it.
pub fn check(uri: &str, kind: ClientKind) -> Result<(), String> {
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "redirect URI '{uri}' must not contain spaces (give one URI per line)"
        ));
    }
    let parsed = Url::parse(uri).map_err(|e| unparsable(uri, e))?;
    if parsed.fragment().is_some() {
        return Err(format!("redirect URI '{uri}' must not contain a fragment"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "redirect URI '{uri}' must not contain a user name or password"
        ));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(format!(
            "redirect URI '{uri}': plain http is allowed only on a loopback address \
             (127.0.0.1, [::1] or localhost); use https"
        )),
        scheme if kind == ClientKind::Public && is_private_use(scheme) => Ok(()),
        scheme if is_private_use(scheme) => Err(format!(
            "redirect URI '{uri}': private-use schemes are for native apps, which are \
             public clients"
        )),
        _ => Err(format!(
            "redirect URI '{uri}' must use https (http only on a loopback address, or a \
             reverse-domain scheme such as org.example.app: for a native app)"
        )),
    }
}

/// What is wrong with a URI the parser refused, in words for the person
/// who typed it (the parser's own text, such as "relative URL without a
/// base", means nothing to them).
pub(crate) fn unparsable(uri: &str, e: url::ParseError) -> String {
    use url::ParseError as E;
    let what = match e {
        E::RelativeUrlWithoutBase => {
            "is not a complete address: start it with https:// and a host name, \
             such as https://app.example.org/callback"
        }
        E::EmptyHost => "has no host name after the scheme",
        E::InvalidPort => "has a port that is not a number from 1 to 65535",
        E::InvalidIpv4Address | E::InvalidIpv6Address => "has a malformed IP address",
        E::InvalidDomainCharacter | E::IdnaError => "has characters a host name cannot hold",
        _ => "is not a valid address",
    };
    format!("redirect URI '{uri}' {what}")
}

/// Whether the redirect URI of a request names `registered`: the same
/// string, or for a loopback IP literal the same URI on another port
/// (RFC 8252 7.3: a native app listens on whatever port it was given).
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(mut reg), Ok(mut req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    if !is_loopback_literal(&reg) || !is_loopback_literal(&req) {
        return false;
    }
    // Both are http URLs with a host, so clearing the port cannot fail.
    let cleared = reg.set_port(None).is_ok() && req.set_port(None).is_ok();
    cleared && reg == req && req.fragment().is_none()
}

fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        _ => is_loopback_literal(u),
    }
}

/// `http` to a loopback IP address written as a literal (not `localhost`,
/// which a resolver might not map to the loopback interface).
fn is_loopback_literal(u: &Url) -> bool {
    u.scheme() == "http"
        && match u.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

/// RFC 8252 7.1: a private-use scheme is a reversed domain name, so it
/// holds a period; no scheme a browser runs (`javascript`, `data`, ...) does.
fn is_private_use(scheme: &str) -> bool {
    scheme.contains('.') && scheme.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: ClientKind = ClientKind::Public;
    const CONFIDENTIAL: ClientKind = ClientKind::Confidential;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for uri in [
            "https://app.example/cb",
            "https://app.example:8443/cb?x=1",
            "http://127.0.0.1:8765/callback",
            "http://127.1.2.3/cb",
            "http://[::1]:9000/cb",
            "http://localhost:3000/cb",
        ] {
            assert_eq!(check(uri, CONFIDENTIAL), Ok(()), "{uri}");
            assert_eq!(check(uri, PUBLIC), Ok(()), "{uri}");
        }
    }

    #[test]
    fn dangerous_and_plain_remote_uris_are_refused() {
        for uri in [
            "javascript:alert(1)",
            "JavaScript://%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "http://evil.example/cb",
            "http://localhost.evil.example/cb",
            "http://10.0.0.1/cb",
            "https://app.example/cb#frag",
            "https://user:pw@app.example/cb",
            "https://app.example/c b",
            "https://app.example/cb\n",
            "/relative/cb",
            "ftp://app.example/cb",
        ] {
            assert!(check(uri, PUBLIC).is_err(), "{uri}");
            assert!(check(uri, CONFIDENTIAL).is_err(), "{uri}");
        }
    }

    #[test]
    fn unparsable_uris_are_explained_in_words() {
        for (uri, says) in [
            ("app.example.org/callback", "is not a complete address"),
            ("https://app.example:99999/cb", "port"),
            ("https://[::1/cb", "IP address"),
            ("https://app.example.org/a b", "one URI per line"),
        ] {
            let e = check(uri, CONFIDENTIAL).unwrap_err();
            assert!(e.contains(says), "{uri}: {e}");
            assert!(!e.contains("base") && !e.contains("relative URL"), "{e}");
        }
    }

    #[test]
    fn private_use_schemes_are_for_public_clients_only() {
        for uri in ["org.example.app:/oauth2redirect", "com.example.app:/cb"] {
            assert_eq!(check(uri, PUBLIC), Ok(()), "{uri}");
            assert!(check(uri, CONFIDENTIAL).is_err(), "{uri}");
        }
        assert!(check("myapp:/cb", PUBLIC).is_err(), "no period");
        assert!(check("org..app:/cb", PUBLIC).is_err());
    }

    #[test]
    fn matching_is_exact_except_the_loopback_port() {
        let reg = "https://app.example/cb";
        assert!(matches(reg, reg));
        assert!(!matches(reg, "https://app.example/cb/"));
        assert!(!matches(reg, "https://APP.example/cb"));
        assert!(!matches(reg, "https://app.example:443/cb2"));
        let lo = "http://127.0.0.1/callback";
        assert!(matches(lo, "http://127.0.0.1:53127/callback"));
        assert!(matches(
            "http://127.0.0.1:9/callback",
            "http://127.0.0.1:4000/callback"
        ));
        assert!(matches("http://[::1]:1/cb", "http://[::1]:2/cb"));
        assert!(!matches(lo, "http://127.0.0.1:53127/other"));
        assert!(!matches(lo, "http://127.0.0.2:53127/callback"));
        assert!(!matches(lo, "https://127.0.0.1:53127/callback"));
        assert!(!matches("http://localhost:1/cb", "http://localhost:2/cb"));
        assert!(!matches(
            "https://app.example:1/cb",
            "https://app.example:2/cb"
        ));
    }
}
