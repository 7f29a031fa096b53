//! The address a request comes from: the TCP peer, or, when the peer is a
//! trusted proxy (nginx), the right-most address of `X-Forwarded-For` that
//! is not itself a trusted proxy. A client cannot choose its own address by
//! sending the header directly.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client address for rate limiting and logs.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    resolve(peer, forwarded, trusted)
}

/// The pure rule behind [`client_ip`].
pub fn resolve(
    peer: Option<IpAddr>,
    forwarded: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(chain) = forwarded else {
        return Some(peer);
    };
    let mut last = peer;
    for hop in chain.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => last = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(last),
        }
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let trusted = [ip("127.0.0.1")];
        assert_eq!(
            resolve(Some(ip("10.0.0.9")), Some("1.2.3.4"), &trusted),
            Some(ip("10.0.0.9"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), Some("6.6.6.6, 1.2.3.4"), &trusted),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), Some("1.2.3.4, 127.0.0.1"), &trusted),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), None, &trusted),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), Some("junk"), &trusted),
            Some(ip("127.0.0.1"))
        );
    }
}
