//! Interoperability with a client library we did not write: the Rust
//! `oauth2` crate runs client credentials, the authorization-code flow
//! with PKCE (its own challenge, state and token parsing), and refresh
//! against the real server.

use crate::support::flow::redirect_params;
use crate::support::{PASSWORD, spawn_app};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl,
};

/// The HTTP transport `oauth2` calls, over this workspace's reqwest.
async fn http(request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = request.into_parts();
    let mut req = client
        .request(parts.method, parts.uri.to_string())
        .body(body);
    for (name, value) in &parts.headers {
        req = req.header(name, value);
    }
    let res = req.send().await?;
    let mut builder = http::Response::builder().status(res.status());
    for (name, value) in res.headers() {
        builder = builder.header(name, value);
    }
    let body = res.bytes().await?.to_vec();
    Ok(builder.body(body).unwrap())
}

#[tokio::test]
async fn client_credentials_with_the_oauth2_crate() {
    let app = spawn_app().await;
    let (id, secret) = app.add_client(None, "idmap:read idmap:link").await;
    let client = BasicClient::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new(secret))
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap());
    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new("idmap:read".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(token.scopes().unwrap()[0].as_str(), "idmap:read");
    assert!(token.refresh_token().is_none());
    let (_, claims) = app.verify(token.access_token().secret()).await;
    assert_eq!(claims["client_id"], id.as_str());
}

#[tokio::test]
async fn authorization_code_with_pkce_and_refresh_with_the_oauth2_crate() {
    let app = spawn_app().await;
    let cb = "http://127.0.0.1:9/callback";
    app.add_user("dee@example.org", PASSWORD).await;
    let (id, _) = app.add_app_client(true, "profile idmap:read", cb).await;
    let client = BasicClient::new(ClientId::new(id.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(cb.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser leg: log in, consent, follow nothing.
    let cookie = app.login("dee@example.org", PASSWORD).await;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let location = app.authorize(&cookie, &pairs, "allow").await;
    assert!(location.starts_with(cb));
    let p = redirect_params(&location);
    assert_eq!(&p["state"], csrf.secret());

    let token = client
        .exchange_code(AuthorizationCode::new(p["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(token.scopes().unwrap()[0].as_str(), "profile");
    let refresh = token.refresh_token().unwrap().clone();

    let refreshed = client
        .exchange_refresh_token(&refresh)
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        refresh.secret()
    );
    app.verify(refreshed.access_token().secret()).await;

    // The rotated-away token is refused, and the crate reports invalid_grant.
    let err = client
        .exchange_refresh_token(&refresh)
        .request_async(&http)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("invalid_grant"), "{err:?}");
}
