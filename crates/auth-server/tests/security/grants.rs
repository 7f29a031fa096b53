//! The code grant: a used code presented by another client revokes
//! nothing, and a token request must repeat a redirect URI the
//! authorization request named.

use super::support::flow::{VERIFIER, redirect_params};
use super::support::spawn_app;
use super::{PW, code_request, exchange, refresh};

const CB: &str = "https://app.example/cb";

#[tokio::test]
async fn a_code_replayed_by_another_client_revokes_nothing() {
    let app = spawn_app().await;
    app.add_user("ann@example.org", PW).await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let (other, _) = app.add_app_client(true, "profile", CB).await;
    let cookie = app.login("ann@example.org", PW).await;
    let loc = app
        .authorize(&cookie, &code_request(&id, CB, None), "allow")
        .await;
    let code = redirect_params(&loc)["code"].clone();
    let tokens = exchange(&app, &id, CB, &code).await;
    let res = app
        .post_token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &other),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let (status, _) = refresh(&app, &id, tokens["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(status, 200, "the legitimate client's grant survives");
}

#[tokio::test]
async fn a_redirect_uri_named_at_authorization_is_required_at_the_token_endpoint() {
    let app = spawn_app().await;
    app.add_user("ann@example.org", PW).await;
    let (id, _) = app.add_app_client(true, "profile", CB).await;
    let cookie = app.login("ann@example.org", PW).await;
    let form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("client_id", id.clone()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };
    let loc = app
        .authorize(&cookie, &code_request(&id, CB, None), "allow")
        .await;
    let code = redirect_params(&loc)["code"].clone();
    let pairs = form(&code);
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
    let pairs = form(&code);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_token(None, &pairs).await.status(), 200);
}
