//! Drives the browser side of the authorization-code flow with plain HTTP:
//! login form, consent form, CSRF tokens parsed from the HTML, cookies
//! carried by hand, redirects not followed.

use serde_json::Value;

use super::{PASSWORD, TestApp};

/// The RFC 7636 appendix B pair.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

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
        let (cookie, csrf) = self.page_form("/accounts/login/?next=/").await;
        let form = [
            ("email", email),
            ("password", password),
            ("csrf_token", &csrf),
            ("next", "/"),
        ];
        let res = self.post_form("/accounts/login/", &cookie, &form).await;
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
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = self.post_form("/oauth/authorize", cookie, &form).await;
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
                ..auth_server::services::clients::NewClient::default()
            },
        )
        .await
        .unwrap();
        (created.client_id, created.client_secret)
    }

    /// Adds `email` (verified, password [`PASSWORD`]) and signs in;
    /// returns the session cookie.
    pub async fn signed_in(&self, email: &str) -> String {
        self.add_user(email, PASSWORD).await;
        self.login(email, PASSWORD).await
    }

    /// GETs the page at `path` as a new browser; returns its session cookie
    /// and the CSRF token of its form.
    pub async fn page_form(&self, path: &str) -> (String, String) {
        let res = browser().get(self.url(path)).send().await.unwrap();
        let cookie = session_cookie(&res).unwrap();
        let html = res.text().await.unwrap();
        (cookie, input_value(&html, "csrf_token").unwrap())
    }

    /// POSTs `form` to `path` as the browser holding `cookie`.
    pub async fn post_form(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        browser()
            .post(self.url(path))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through a proxy that says the request came from `address`;
    /// returns the status of the login form's answer.
    pub async fn login_from(&self, address: &str, email: &str, password: &str) -> u16 {
        let (cookie, csrf) = self.page_form("/accounts/login/").await;
        browser()
            .post(self.url("/accounts/login/"))
            .header("cookie", cookie)
            .header("x-forwarded-for", address)
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Registers `email` through the form, follows the mailed link, signs
    /// in; returns the session cookie.
    pub async fn register_verified(&self, email: &str) -> String {
        let (cookie, csrf) = self.page_form("/accounts/register/").await;
        let res = self
            .post_form(
                "/accounts/register/",
                &cookie,
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let link = self.mailed_links(email).pop().expect("a verification link");
        let path = link.strip_prefix(super::ISSUER).unwrap();
        let res = browser().get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "verification");
        self.login(email, PASSWORD).await
    }

    /// Approves (or finds approved) the request [`code_request`] makes and
    /// returns the code.
    pub async fn code(
        &self,
        cookie: &str,
        client_id: &str,
        redirect: &str,
        scope: Option<&str>,
    ) -> String {
        let loc = self
            .authorize(cookie, &code_request(client_id, redirect, scope), "allow")
            .await;
        let mut p = redirect_params(&loc);
        assert_eq!(p.get("state").map(String::as_str), Some("st"), "{loc}");
        p.remove("code")
            .unwrap_or_else(|| panic!("no code in {loc}"))
    }

    /// Approves a request of a confidential client without PKCE and returns
    /// the code.
    pub async fn code_without_pkce(&self, cookie: &str, client_id: &str, redirect: &str) -> String {
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
        ];
        let loc = self.authorize(cookie, &params, "allow").await;
        redirect_params(&loc)
            .remove("code")
            .unwrap_or_else(|| panic!("no code in {loc}"))
    }

    /// Exchanges a code of the public client `client_id` with the
    /// [`VERIFIER`]; returns the status and the body.
    pub async fn exchange_code(&self, client_id: &str, redirect: &str, code: &str) -> (u16, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
        ];
        token_answer(self.post_token(None, &form).await).await
    }

    /// Exchanges a code of the confidential client `(id, secret)`, which
    /// authenticates with HTTP Basic and sends no verifier.
    pub async fn exchange_confidential(
        &self,
        (id, secret): (&str, &str),
        redirect: &str,
        code: &str,
    ) -> (u16, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
        ];
        token_answer(self.post_token(Some((id, secret)), &form).await).await
    }

    /// The whole authorization-code flow of a public client: authorize,
    /// consent, code, token; panics unless the exchange succeeds.
    pub async fn code_tokens(
        &self,
        cookie: &str,
        client_id: &str,
        redirect: &str,
        scope: Option<&str>,
    ) -> Value {
        let code = self.code(cookie, client_id, redirect, scope).await;
        let (status, body) = self.exchange_code(client_id, redirect, &code).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Presents a refresh token of the public client `client_id`.
    pub async fn refresh(&self, client_id: &str, token: &str, scope: Option<&str>) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client_id),
        ];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        token_answer(self.post_token(None, &form).await).await
    }
}

/// The status and body of a token response; a success must not be cached.
pub async fn token_answer(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    if status == 200 {
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
    (status, res.json().await.unwrap())
}

/// The parameters of an authorization request of a public client: PKCE
/// with the [`CHALLENGE`], state `st`, and `scope` when named.
pub fn code_request<'a>(
    client_id: &'a str,
    redirect: &'a str,
    scope: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "st"),
    ];
    if let Some(s) = scope {
        p.push(("scope", s));
    }
    p
}
