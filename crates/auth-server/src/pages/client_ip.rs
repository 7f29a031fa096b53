//! The address a request comes from: the TCP peer, or, when the peer is a
//! trusted proxy (nginx), the right-most address of `X-Forwarded-For` that
//! is not itself a trusted proxy. A client cannot choose its own address by
//! sending the header directly. Proxies are trusted by network, since a
//! container's address changes whenever it is recreated.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client address for rate limiting and logs.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    resolve(peer, forwarded, trusted)
}

/// The pure rule behind [`client_ip`].
pub fn resolve(peer: Option<IpAddr>, forwarded: Option<&str>, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(chain) = forwarded else {
        return Some(peer);
    };
    let mut last = peer;
    for hop in chain.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last = ip,
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

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let trusted = [net("127.0.0.1/32")];
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

    #[test]
    fn every_address_of_a_trusted_network_is_a_proxy() {
        let trusted = [net("172.16.0.0/12"), net("::1/128")];
        assert_eq!(
            resolve(Some(ip("172.20.0.7")), Some("203.0.113.5"), &trusted),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(
            resolve(Some(ip("::1")), Some("203.0.113.5, 172.31.255.1"), &trusted),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(
            resolve(Some(ip("172.32.0.1")), Some("203.0.113.5"), &trusted),
            Some(ip("172.32.0.1"))
        );
        // A client inside the trusted network is still itself.
        assert_eq!(
            resolve(Some(ip("172.20.0.7")), Some("172.20.0.9"), &trusted),
            Some(ip("172.20.0.9"))
        );
    }
}
