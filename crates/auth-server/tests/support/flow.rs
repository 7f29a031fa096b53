//! Drives the browser side of the authorization-code flow with plain HTTP:
//! login form, consent form, CSRF tokens parsed from the HTML, cookies
//! carried by hand, redirects not followed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::TestApp;

/// The RFC 7636 appendix B pair.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A fresh PKCE pair.
pub fn pkce_pair() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A client that keeps no cookies and follows no redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `<input ... name="NAME" value="...">` in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html_unescape(&html[start..end]))
}

/// Every hidden input of the consent form, in order.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i + 27..];
        let name_end = rest.find('"').unwrap();
        let name = html_unescape(&rest[..name_end]);
        let v = rest.find("value=\"").unwrap() + 7;
        let v_end = rest[v..].find('"').unwrap() + v;
        out.push((name, html_unescape(&rest[v..v_end])));
        rest = &rest[v_end..];
    }
    out
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `name=value` part of the session cookie a response sets.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("idmap_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location; status {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The query (or fragment) parameters of a redirect target.
pub fn redirect_params(location: &str) -> std::collections::HashMap<String, String> {
    let part = location
        .split_once('#')
        .map(|(_, f)| f)
        .or_else(|| location.split_once('?').map(|(_, q)| q))
        .unwrap_or("");
    serde_urlencoded::from_str(part).unwrap()
}

impl TestApp {
    /// Logs `email` in and returns the session cookie.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let b = browser();
        let res = b
            .get(self.url("/accounts/login/?next=/"))
            .send()
            .await
            .unwrap();
        let cookie = session_cookie(&res).unwrap();
        let html = res.text().await.unwrap();
        let csrf = input_value(&html, "csrf_token").unwrap();
        let res = b
            .post(self.url("/accounts/login/"))
            .header("cookie", &cookie)
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "login failed");
        session_cookie(&res).unwrap()
    }

    /// GET /oauth/authorize with `params` as a logged-in user; returns the response.
    pub async fn authorize_get(&self, cookie: &str, params: &[(&str, &str)]) -> reqwest::Response {
        let q = serde_urlencoded::to_string(params).unwrap();
        browser()
            .get(self.url(&format!("/oauth/authorize?{q}")))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// The whole browser leg: consent page, then `decision`; returns the
    /// final redirect's Location (at once when the approval is remembered).
    pub async fn authorize(&self, cookie: &str, params: &[(&str, &str)], decision: &str) -> String {
        let res = self.authorize_get(cookie, params).await;
        if res.status() == 302 && decision == "allow" {
            return location(&res);
        }
        assert_eq!(res.status(), 200, "expected the consent page");
        let html = res.text().await.unwrap();
        let mut form = hidden_inputs(&html);
        form.push(("decision".into(), decision.into()));
        let res = browser()
            .post(self.url("/oauth/authorize"))
            .header("cookie", cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        location(&res)
    }

    /// Adds a user through the service; returns its id.
    pub async fn add_user(&self, email: &str, password: &str) -> String {
        auth_server::services::users::add_user(&self.db, email, password, true)
            .await
            .unwrap()
            .id
    }

    /// Entitles a user (id or e-mail) to a patient-data scope.
    pub async fn entitle(&self, user: &str, scope: &str) {
        auth_server::services::entitlements::grant(
            &self.db,
            auth_server::services::entitlements::Holder::User(user.to_owned()),
            scope,
        )
        .await
        .unwrap();
    }

    /// Registers a client for the authorization-code flow.
    pub async fn add_app_client(
        &self,
        public: bool,
        scope: &str,
        redirect: &str,
    ) -> (String, Option<String>) {
        let created = auth_server::services::clients::add_client(
            &self.db,
            &self.hasher,
            auth_server::services::clients::NewClient {
                partner: None,
                scope: scope.to_owned(),
                name: Some("Test App".into()),
                public,
                redirect_uris: vec![redirect.to_owned()],
                owner: None,
                homepage: None,
            },
        )
        .await
        .unwrap();
        (created.client_id, created.client_secret)
    }

    /// Runs the full flow for a public client and returns the code.
    pub async fn code_for(
        &self,
        client_id: &str,
        redirect: &str,
        challenge: &str,
        cookie: &str,
    ) -> String {
        let loc = self
            .authorize(
                cookie,
                &[
                    ("response_type", "code"),
                    ("client_id", client_id),
                    ("redirect_uri", redirect),
                    ("code_challenge", challenge),
                    ("code_challenge_method", "S256"),
                    ("state", "st"),
                ],
                "allow",
            )
            .await;
        let p = redirect_params(&loc);
        assert_eq!(p["state"], "st");
        p["code"].clone()
    }
}
