//! Token signing and verification with auth-server's crate and key types
//! (`jsonwebtoken` on aws-lc-rs, PKCS#8 keys, RS256 / ES256 / EdDSA):
//! signing, raw `jsonwebtoken::decode` with idmap-server's claim checks,
//! and `idmap_common::Verifier::verify`, the per-request path of
//! idmap-server. The verifier has no constructor from a static JWKS, so a
//! tiny local HTTP server hands it one; after the first fetch `verify`
//! does no I/O.

#![expect(clippy::expect_used, reason = "benchmark setup aborts on failure")]

use std::hint::black_box;
use std::io::{Read, Write};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use idmap_bench::jwt::{self, KeyPair};
use idmap_common::{Verifier, VerifierConfig};

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// Fresh keys generated as auth-server does (`keys::material::generate_pem`).
fn keys() -> Vec<KeyPair> {
    let rng = SystemRandom::new();
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let rsa: Pkcs8V1Der<'static> = rsa.as_der().expect("RSA DER");
    let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("EC key");
    let ed = Ed25519KeyPair::generate_pkcs8v1(&rng).expect("Ed25519 key");
    [rsa.as_ref(), ec.as_ref(), ed.as_ref()]
        .into_iter()
        .map(|der| KeyPair::from_pem(pem(der).as_bytes()).expect("usable key"))
        .collect()
}

/// Serves `body` as the JWKS on a free loopback port from a thread;
/// returns its URL.
fn serve_jwks(body: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/jwks.json",
        listener.local_addr().expect("address")
    );
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=86400\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes());
        }
    });
    url
}

fn tokens(c: &mut Criterion) {
    let issuer = "http://127.0.0.1:8081";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for key in keys() {
        let alg = format!("{:?}", key.alg);
        let claims = jwt::claims(issuer, idmap_common::clock::now_unix());
        let token = key.sign(&claims).expect("sign");
        let validation = jwt::validation(key.alg, issuer);
        let verifier = runtime.block_on(async {
            let mut config = VerifierConfig::new(issuer, "idmap");
            config.jwks_url = Some(serve_jwks(key.jwks_json().expect("JWKS")));
            let verifier = Verifier::new(config).expect("verifier");
            verifier.refresh().await.expect("JWKS fetch");
            verifier.verify(&token).await.expect("token verifies");
            verifier
        });

        let mut group = c.benchmark_group(format!("jwt {alg}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("sign", |b| b.iter(|| key.sign(black_box(&claims))));
        group.bench_function("verify jsonwebtoken::decode", |b| {
            b.iter(|| key.verify_raw(black_box(&token), &validation))
        });
        group.bench_function("verify idmap_common::Verifier", |b| {
            b.iter(|| runtime.block_on(verifier.verify(black_box(&token))))
        });
        group.finish();
    }
}

criterion_group!(benches, tokens);
criterion_main!(benches);
