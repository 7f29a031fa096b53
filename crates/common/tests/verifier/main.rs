//! The verifier against a real JWKS server: which tokens pass, which are
//! refused and why, and how the key cache behaves on rotation, floods of
//! unknown key ids, outages and `Cache-Control`.

// Helpers outside `#[test]` functions are test code too; a panic is the
// right failure for them.
#![expect(clippy::unwrap_used, reason = "test helpers")]

mod support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idmap_common::Audience;
use idmap_common::verifier::{MAX_TOKEN_BYTES, Verifier, VerifyError};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use support::*;

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

async fn standard() -> (JwksServer, Verifier) {
    let server = JwksServer::start(standard_jwks()).await;
    let verifier = ready_verifier(&server).await;
    (server, verifier)
}

#[tokio::test]
async fn valid_rs256_es256_and_eddsa_tokens_are_accepted() {
    let (server, verifier) = standard().await;
    let claims = claims(&server.issuer);
    for (alg, kid, key) in [
        (Algorithm::RS256, RSA_KID, rsa_key()),
        (Algorithm::ES256, EC_KID, ec_key()),
        (Algorithm::EdDSA, ED_KID, ed_key()),
    ] {
        let token = sign(&header(alg, Some(kid)), &claims, &key);
        let accepted = verifier.verify(&token).await;
        let accepted = accepted.unwrap_or_else(|err| panic!("{alg:?}: {err}"));
        assert_eq!(accepted.client_id, "client-1");
        assert_eq!(accepted.partner.as_deref(), Some("P1"));
        assert!(accepted.has_scope("idmap:link"));
    }
    // Discovery happened once, the JWKS was fetched once, nothing since.
    assert_eq!((server.metadata_hits(), server.jwks_hits()), (1, 1));
}

#[tokio::test]
async fn rfc_9068_typ_spellings_and_an_audience_array_are_accepted() {
    let (server, verifier) = standard().await;
    let mut claims = claims(&server.issuer);
    claims["aud"] = json!(["other-service", AUDIENCE]);
    let mut header = header(Algorithm::RS256, Some(RSA_KID));
    header.typ = Some("application/AT+JWT".into());
    let accepted = verifier
        .verify(&sign(&header, &claims, &rsa_key()))
        .await
        .unwrap();
    assert!(matches!(accepted.aud, Audience::Many(ref list) if list.len() == 2));
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let (server, verifier) = standard().await;
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": RSA_KID});
    let unsigned = format!(
        "{}.{}.",
        b64_json(&header),
        b64_json(&claims(&server.issuer))
    );
    assert_eq!(
        verifier.verify(&unsigned).await.unwrap_err(),
        VerifyError::Malformed
    );
    let with_junk_signature = format!("{unsigned}c2ln");
    assert_eq!(
        verifier.verify(&with_junk_signature).await.unwrap_err(),
        VerifyError::AlgorithmNotAllowed
    );
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_rejected() {
    let (server, verifier) = standard().await;
    let forged = sign(
        &header(Algorithm::HS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &EncodingKey::from_secret(RSA_PUBLIC_PEM),
    );
    assert_eq!(
        verifier.verify(&forged).await.unwrap_err(),
        VerifyError::AlgorithmNotAllowed
    );
}

#[tokio::test]
async fn es256_header_on_an_rsa_kid_is_rejected() {
    let (server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::ES256, Some(RSA_KID)),
        &claims(&server.issuer),
        &ec_key(),
    );
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::KeyAlgorithmMismatch
    );
}

#[tokio::test]
async fn unknown_kid_triggers_one_refetch_that_picks_up_a_new_key() {
    let server = JwksServer::start(jwks(vec![jwk(&rsa_key(), Algorithm::RS256, RSA_KID)])).await;
    let verifier = ready_verifier(&server).await;
    let ec_token = sign(
        &header(Algorithm::ES256, Some(EC_KID)),
        &claims(&server.issuer),
        &ec_key(),
    );

    // The issuer rotates in a new key; our cache does not know it yet.
    server.set_jwks(standard_jwks());
    assert!(verifier.verify(&ec_token).await.is_ok());
    assert_eq!(server.jwks_hits(), 2);
    assert_eq!(verifier.stats().unknown_kid_refetches, 1);

    // A kid that is still unknown within the interval: refused, no fetch.
    let stranger = sign(
        &header(Algorithm::RS256, Some("not-published")),
        &claims(&server.issuer),
        &rsa_key(),
    );
    assert_eq!(
        verifier.verify(&stranger).await.unwrap_err(),
        VerifyError::UnknownKey
    );
    assert_eq!(server.jwks_hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_unknown_kids_fetches_at_most_once_per_interval() {
    let server = JwksServer::start(standard_jwks()).await;
    let mut config = config(&server.issuer);
    config.unknown_kid_min_interval = Duration::from_millis(500);
    let verifier = Verifier::new(config).unwrap();
    verifier.refresh().await.unwrap();
    assert_eq!(server.jwks_hits(), 1);

    let issuer = server.issuer.clone();
    let flood = |round: usize| {
        let tasks: Vec<_> = (0..1000)
            .map(|i| {
                let verifier = verifier.clone();
                let token = sign(
                    &header(Algorithm::EdDSA, Some(&format!("random-{round}-{i}"))),
                    &claims(&issuer),
                    &ed_key(),
                );
                tokio::spawn(async move { verifier.verify(&token).await })
            })
            .collect();
        async move {
            for task in tasks {
                assert_eq!(task.await.unwrap().unwrap_err(), VerifyError::UnknownKey);
            }
        }
    };

    // 1000 concurrent requests share one fetch.
    flood(0).await;
    assert_eq!(server.jwks_hits(), 2);
    // Within the interval, another 1000 cause none.
    flood(1).await;
    assert_eq!(server.jwks_hits(), 2);
    // After the interval, exactly one more.
    tokio::time::sleep(Duration::from_millis(600)).await;
    flood(2).await;
    assert_eq!(server.jwks_hits(), 3);
    assert_eq!(verifier.stats().unknown_kid_refetches, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_unknown_kids_wait_for_one_shared_fetch() {
    let server = JwksServer::start(standard_jwks()).await;
    let mut config = config(&server.issuer);
    // No rate limit: only single-flight keeps this from 1000 fetches.
    config.unknown_kid_min_interval = Duration::ZERO;
    let verifier = Verifier::new(config).unwrap();
    verifier.refresh().await.unwrap();
    // Long enough that every request below asks while the first fetch is
    // still in flight, even on a loaded machine.
    server.set_delay(Duration::from_millis(400));

    // Signed up front so that the requests start together.
    let tokens: Vec<String> = (0..1000)
        .map(|i| {
            sign(
                &header(Algorithm::EdDSA, Some(&format!("random-{i}"))),
                &claims(&server.issuer),
                &ed_key(),
            )
        })
        .collect();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let verifier = verifier.clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    let all = async {
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap_err(), VerifyError::UnknownKey);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), all)
        .await
        .expect("requests queued behind one fetch each");
    // One fetch, plus at most one for requests that arrived while it was
    // already in flight (it may have started before their key existed).
    let fetches = server.jwks_hits() - 1;
    assert!((1..=2).contains(&fetches), "{fetches} fetches");
}

#[tokio::test]
async fn missing_kid_is_rejected() {
    let (server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::RS256, None),
        &claims(&server.issuer),
        &rsa_key(),
    );
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::MissingKeyId
    );
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn wrong_or_missing_typ_is_rejected() {
    let (server, verifier) = standard().await;
    for typ in [Some("JWT"), Some("at+jwt; charset=x"), None] {
        let mut header = header(Algorithm::RS256, Some(RSA_KID));
        header.typ = typ.map(str::to_owned);
        let token = sign(&header, &claims(&server.issuer), &rsa_key());
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            VerifyError::WrongType,
            "{typ:?}"
        );
    }
}

/// Signs `claims` after `edit` with the RSA key and returns the verdict.
async fn verdict_after(edit: impl FnOnce(&mut Value)) -> Result<(), VerifyError> {
    let (server, verifier) = standard().await;
    let mut claims = claims(&server.issuer);
    edit(&mut claims);
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims,
        &rsa_key(),
    );
    verifier.verify(&token).await.map(|_| ())
}

#[tokio::test]
async fn wrong_issuer_is_rejected() {
    let verdict = verdict_after(|c| c["iss"] = json!("http://127.0.0.1:1")).await;
    assert_eq!(verdict, Err(VerifyError::WrongIssuer));
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let verdict = verdict_after(|c| c["aud"] = json!("other-service")).await;
    assert_eq!(verdict, Err(VerifyError::WrongAudience));
    let verdict = verdict_after(|c| c["aud"] = json!(["a", "b"])).await;
    assert_eq!(verdict, Err(VerifyError::WrongAudience));
}

#[tokio::test]
async fn expiry_and_not_before_honour_the_leeway() {
    let now = now();
    assert_eq!(verdict_after(|c| c["exp"] = json!(now - 10)).await, Ok(()));
    assert_eq!(
        verdict_after(|c| c["exp"] = json!(now - 120)).await,
        Err(VerifyError::Expired)
    );
    assert_eq!(verdict_after(|c| c["nbf"] = json!(now + 10)).await, Ok(()));
    assert_eq!(
        verdict_after(|c| c["nbf"] = json!(now + 120)).await,
        Err(VerifyError::NotYetValid)
    );
}

#[tokio::test]
async fn required_claims_must_be_present() {
    for name in ["jti", "scope", "client_id", "sub", "iat", "nbf", "exp"] {
        let verdict = verdict_after(|c| {
            c.as_object_mut().unwrap().remove(name);
        })
        .await;
        assert_eq!(verdict, Err(VerifyError::MissingClaim(name)), "{name}");
    }
    // `partner` is optional.
    let verdict = verdict_after(|c| {
        c.as_object_mut().unwrap().remove("partner");
    })
    .await;
    assert_eq!(verdict, Ok(()));
}

#[tokio::test]
async fn tampered_payload_is_rejected() {
    let (server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &rsa_key(),
    );
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut claims = claims(&server.issuer);
    claims["scope"] = json!("idmap:link idmap:admin");
    let forged_payload = b64_json(&claims);
    parts[1] = &forged_payload;
    assert_eq!(
        verifier.verify(&parts.join(".")).await.unwrap_err(),
        VerifyError::BadSignature
    );
}

#[tokio::test]
async fn truncated_tokens_are_rejected() {
    let (server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &rsa_key(),
    );
    for cut in [4, 40, token.len() / 2, token.len() - 3] {
        let truncated = &token[..token.len() - cut];
        let err = verifier.verify(truncated).await.unwrap_err();
        assert!(
            matches!(err, VerifyError::BadSignature | VerifyError::Malformed),
            "{cut}: {err:?}"
        );
    }
}

#[tokio::test]
async fn oversized_tokens_are_rejected_before_parsing() {
    let (server, verifier) = standard().await;
    let mut claims = claims(&server.issuer);
    claims["padding"] = json!("x".repeat(MAX_TOKEN_BYTES));
    let token = sign(
        &header(Algorithm::RS256, Some("unknown")),
        &claims,
        &rsa_key(),
    );
    assert!(token.len() > MAX_TOKEN_BYTES);
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::TooLarge
    );
    assert_eq!(verifier.stats().unknown_kid_refetches, 0);
}

#[tokio::test]
async fn a_token_from_another_key_set_with_our_kid_is_rejected() {
    let (server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &other_rsa_key(),
    );
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::BadSignature
    );
}

/// A token re-sent with every request is checked against the keys of the
/// moment: once the issuer publishes other material under its kid, the
/// signature that passed before no longer counts.
#[tokio::test]
async fn a_verified_token_is_checked_again_after_the_keys_change() {
    let (server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &rsa_key(),
    );
    assert!(verifier.verify(&token).await.is_ok());
    assert!(verifier.verify(&token).await.is_ok());

    server.set_jwks(jwks(vec![jwk(&other_rsa_key(), Algorithm::RS256, RSA_KID)]));
    verifier.refresh().await.unwrap();
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::BadSignature
    );

    server.set_jwks(standard_jwks());
    verifier.refresh().await.unwrap();
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn jku_jwk_and_x5u_headers_are_ignored() {
    let (server, verifier) = standard().await;
    // An attacker publishes their own key set and points the token at it.
    let attacker_key = other_rsa_key();
    let attacker =
        JwksServer::start(jwks(vec![jwk(&attacker_key, Algorithm::RS256, "evil")])).await;
    let embedded: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(jwk(&attacker_key, Algorithm::RS256, "evil")).unwrap();
    let claims = claims(&server.issuer);

    for kid in ["evil", RSA_KID] {
        let mut header = header(Algorithm::RS256, Some(kid));
        header.jku = Some(attacker.jwks_url());
        header.x5u = Some(attacker.jwks_url());
        header.jwk = Some(embedded.clone());
        let err = verifier
            .verify(&sign(&header, &claims, &attacker_key))
            .await
            .unwrap_err();
        assert!(
            matches!(err, VerifyError::UnknownKey | VerifyError::BadSignature),
            "{err:?}"
        );
    }
    assert_eq!((attacker.jwks_hits(), attacker.metadata_hits()), (0, 0));

    // The same headers on a token signed by the real key change nothing.
    let mut header = header(Algorithm::RS256, Some(RSA_KID));
    header.jku = Some(attacker.jwks_url());
    header.jwk = Some(embedded);
    assert!(
        verifier
            .verify(&sign(&header, &claims, &rsa_key()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn cached_keys_survive_the_jwks_server_going_away() {
    let (mut server, verifier) = standard().await;
    let token = sign(
        &header(Algorithm::ES256, Some(EC_KID)),
        &claims(&server.issuer),
        &ec_key(),
    );
    server.stop().await;

    assert!(verifier.refresh().await.is_err());
    // An unknown kid also tries (and fails) once; the cache must survive it.
    let stranger = sign(
        &header(Algorithm::ES256, Some("rotated-while-down")),
        &claims(&server.issuer),
        &ec_key(),
    );
    assert_eq!(
        verifier.verify(&stranger).await.unwrap_err(),
        VerifyError::UnknownKey
    );
    assert!(verifier.is_ready());
    assert!(verifier.verify(&token).await.is_ok());
    let stats = verifier.stats();
    assert_eq!((stats.refreshes_ok, stats.refreshes_failed), (1, 2));
    assert_eq!(stats.keys, 3);
}

#[tokio::test]
async fn an_unusable_jwks_does_not_replace_good_keys() {
    let (server, verifier) = standard().await;
    server.set_jwks(json!({"keys": [{"kty": "oct", "kid": RSA_KID, "k": "c2VjcmV0"}]}));
    assert!(verifier.refresh().await.is_err());
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &rsa_key(),
    );
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn refresh_follows_cache_control_max_age() {
    let server = JwksServer::start(standard_jwks()).await;
    server.set_cache_control(Some("public, max-age=1"));
    let verifier = Verifier::new(config(&server.issuer)).unwrap();
    let task = verifier.spawn_refresh_task();

    assert!(wait_until(Duration::from_secs(2), || verifier.is_ready()).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.jwks_hits(), 1, "refreshed before max-age ran out");
    assert!(wait_until(Duration::from_secs(3), || server.jwks_hits() >= 2).await);
    let times = server.jwks_hit_times();
    let gap = times[1] - times[0];
    assert!(gap >= Duration::from_millis(950), "refreshed after {gap:?}");
    task.abort();
}

#[tokio::test]
async fn refresh_task_retries_until_the_issuer_is_up() {
    let server = JwksServer::start(standard_jwks()).await;
    server.set_available(false);
    let verifier = Verifier::new(config(&server.issuer)).unwrap();
    let task = verifier.spawn_refresh_task();

    assert!(wait_until(Duration::from_secs(2), || server.metadata_hits() >= 2).await);
    assert!(!verifier.is_ready());
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims(&server.issuer),
        &rsa_key(),
    );
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err, VerifyError::KeysUnavailable);
    assert!(err.is_temporary());

    server.set_available(true);
    assert!(wait_until(Duration::from_secs(3), || verifier.is_ready()).await);
    assert!(verifier.verify(&token).await.is_ok());
    assert!(verifier.stats().refreshes_failed >= 2);
    task.abort();
}

#[tokio::test]
async fn a_configured_jwks_url_skips_discovery() {
    let server = JwksServer::start(standard_jwks()).await;
    // The public issuer name is not reachable; only the JWKS URL is.
    let mut config = config("https://idmap.example.org");
    config.jwks_url = Some(server.jwks_url());
    let verifier = Verifier::new(config).unwrap();
    verifier.refresh().await.unwrap();
    let token = sign(
        &header(Algorithm::EdDSA, Some(ED_KID)),
        &claims("https://idmap.example.org"),
        &ed_key(),
    );
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!((server.metadata_hits(), server.jwks_hits()), (0, 1));
}

#[tokio::test]
async fn metadata_for_another_issuer_is_refused() {
    let server = JwksServer::start(standard_jwks()).await;
    // Same server, but we expect a different issuer name in its metadata.
    let verifier = Verifier::new(config(&format!("{}/", server.issuer))).unwrap();
    let err = verifier.refresh().await.unwrap_err();
    assert!(err.to_string().contains("different issuer"), "{err}");
    assert_eq!(server.jwks_hits(), 0);
}

#[tokio::test]
async fn error_descriptions_do_not_echo_the_token() {
    let (server, verifier) = standard().await;
    let mut claims = claims(&server.issuer);
    claims["iss"] = json!("http://secret-marker.example");
    let token = sign(
        &header(Algorithm::RS256, Some(RSA_KID)),
        &claims,
        &rsa_key(),
    );
    let message = verifier.verify(&token).await.unwrap_err().to_string();
    assert!(!message.contains("secret-marker") && !message.contains(RSA_KID));
}
