//! The JWT verifier on arbitrary bearer strings: size and shape checks,
//! the hand-written header parser (`alg`, `typ`, `kid`, `crit`), the key
//! lookup with its rate-limited unknown-kid refetch, the signature check
//! and, for correctly signed seeds, the claims checks.
//!
//! The verifier has no constructor that takes keys directly, so a tiny
//! HTTP server on 127.0.0.1 serves a static JWKS (the committed test-only
//! RSA key of `crates/common/tests/fixtures`) once at start; the
//! unknown-kid refetch interval is set to a day so that fuzzing does no
//! network I/O after the first input.
#![no_main]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

use idmap_common::verifier::{Verifier, VerifierConfig};
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use libfuzzer_sys::fuzz_target;

const ISSUER: &str = "https://issuer.fuzz.invalid";
const KID: &str = "fuzz-rsa-1";
const PRIVATE_PEM: &[u8] = include_bytes!("../../crates/common/tests/fixtures/test_only_rsa_private.pem");

struct Harness {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier,
}

fn serve_jwks() -> String {
    let key = EncodingKey::from_rsa_pem(PRIVATE_PEM).expect("fixture key");
    let mut jwk = Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::RS256).expect("jwk");
    jwk.common.key_id = Some(KID.into());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
    let body = serde_json::json!({ "keys": [jwk] }).to_string();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=86400\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut config = VerifierConfig::new(ISSUER, "idmap");
        config.jwks_url = Some(serve_jwks());
        config.unknown_kid_min_interval = Duration::from_secs(86_400);
        config.http_timeout = Duration::from_secs(2);
        let verifier = Verifier::new(config).expect("config");
        runtime.block_on(verifier.refresh()).expect("JWKS served");
        Harness { runtime, verifier }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let h = harness();
    if let Ok(claims) = h.runtime.block_on(h.verifier.verify(token)) {
        assert_eq!(claims.iss, ISSUER);
        assert!(claims.aud.contains("idmap"));
    }
});
