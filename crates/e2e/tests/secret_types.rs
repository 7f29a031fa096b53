//! Secret-bearing types print nothing secret in `Debug`, and the HTML pages
//! of auth-server carry the browser security headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use auth_server::domain::client_secret::ClientSecret;
use idmap_e2e::System;
use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;

const DB_PASSWORD: &str = "Db-Pa55word-e2e-81f3";

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn settings_hide_database_passwords_in_debug() {
    let url = format!("postgres://idmap:{DB_PASSWORD}@db.example/idmap");
    let auth =
        auth_server::config::Settings::load(None, &env(&[("AUTH_DATABASE_URL", &url)])).unwrap();
    let printed = format!("{auth:?}");
    assert!(!printed.contains(DB_PASSWORD), "{printed}");
    let idmap =
        idmap_server::config::Settings::load(None, &env(&[("IDMAP_DATABASE_URL", &url)])).unwrap();
    let printed = format!("{idmap:?}");
    assert!(!printed.contains(DB_PASSWORD), "{printed}");
}

#[test]
fn client_secrets_and_signing_keys_are_redacted() {
    let secret = ClientSecret::generate();
    let printed = format!("{secret:?}");
    assert!(!printed.contains(secret.expose()), "{printed}");

    let pem =
        auth_server::keys::material::generate_pem(auth_server::config::SigningAlg::Es256).unwrap();
    let key = auth_server::keys::SigningKey::from_pem(pem.as_bytes()).unwrap();
    let printed = format!("{key:?}");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!printed.contains("PRIVATE"), "{printed}");
    for chunk in body.as_bytes().chunks(16) {
        let chunk = std::str::from_utf8(chunk).unwrap();
        assert!(!printed.contains(chunk), "{printed}");
    }
}

/// Login, consent and error pages must not be framed (clickjacking), sniffed
/// or leak their URL (codes, state) through `Referer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_pages_carry_security_headers() {
    let sys = System::start(TestDatabase::create(Backend::Sqlite).unwrap())
        .await
        .unwrap();
    for path in [
        "/accounts/login/",
        "/oauth/authorize?response_type=code&client_id=nobody",
    ] {
        let r = sys
            .http
            .get(format!("{}{path}", sys.auth_url))
            .send()
            .await
            .unwrap();
        let headers = r.headers().clone();
        let ct = headers["content-type"].to_str().unwrap();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        let get = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .unwrap_or_default()
        };
        let csp = get("content-security-policy");
        assert!(csp.contains("default-src"), "{path}: CSP {csp:?}");
        assert!(
            csp.contains("frame-ancestors 'none'") || get("x-frame-options") == "deny",
            "{path}: framing allowed"
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert!(
            !get("referrer-policy").is_empty(),
            "{path}: no Referrer-Policy"
        );
    }
}
