//! The code grant: a used code presented by another client revokes
//! nothing, and a token request must repeat a redirect URI the
//! authorization request named.

use crate::support::flow::{VERIFIER, code_request, redirect_params};
use crate::support::spawn_app;

const CB: &str = "https://app.example/cb";

#[tokio::test]
async fn a_code_replayed_by_another_client_revokes_nothing() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let (other, _) = app.add_app_client(true, "profile", CB).await;
    let code = app.code(&cookie, &id, CB, None).await;
    let (status, tokens) = app.exchange_code(&id, CB, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = app.exchange_code(&other, CB, &code).await;
    assert_eq!(status, 400);
    let (status, _) = app
        .refresh(&id, tokens["refresh_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(status, 200, "the legitimate client's grant survives");
}

#[tokio::test]
async fn a_redirect_uri_named_at_authorization_is_required_at_the_token_endpoint() {
    let app = spawn_app().await;
    let cookie = app.signed_in("ann@example.org").await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let without_redirect = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("client_id", id.clone()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };
    let code = app.code(&cookie, &id, CB, None).await;
    let pairs = without_redirect(&code);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post_token(None, &pairs).await;
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    // Not named at authorization (one registered URI): may be left out.
    let mut request = code_request(&id, CB, None);
    request.retain(|(k, _)| *k != "redirect_uri");
    let loc = app.authorize(&cookie, &request, "allow").await;
    let code = redirect_params(&loc)["code"].clone();
    let pairs = without_redirect(&code);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_token(None, &pairs).await.status(), 200);
}
