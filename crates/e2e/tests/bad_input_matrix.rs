//! Bad-input matrix for every endpoint of both services: wrong types, sizes,
//! encodings, duplicate keys, deep nesting, wrong content types, garbage
//! forms, huge headers and slow clients. Each answer must be a 4xx with a
//! JSON error body (never a 500), idmap's tables must be unchanged, and
//! both services must keep answering good callers meanwhile.
//!
//! Decisions recorded here:
//! - Duplicate fields of a JSON object that maps to a struct are refused by
//!   serde (`duplicate field`). Duplicate keys inside `/api/save`'s `data`
//!   maps are not: serde's map keeps the last one. The test accepts either
//!   a 400 or a 200 answering that single label, and the finding is
//!   reported (a reject-with-400 needs a custom map deserializer in
//!   `idmap_common::wire::SaveRequest`).
//! - serde_json stops at 128 levels of nesting, so 100,000 `[` is a 400.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use idmap_e2e::{System, request_token};
use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn h(n: u32) -> String {
    format!("{:064x}", 0xbad0_0000_u64 + u64::from(n))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    Auth,
    Idmap,
}

/// Credentials a case is sent with.
#[derive(Clone, Copy, Debug)]
enum Cred {
    None,
    /// idmap:link partner token.
    Link,
    /// idmap:read token.
    Read,
    /// idmap:admin token.
    IdmapAdmin,
    /// auth-server `admin` token.
    AuthAdmin,
    /// HTTP Basic of a confidential client.
    Basic,
}

struct Case {
    name: String,
    service: Service,
    method: &'static str,
    path: String,
    cred: Cred,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// Exact status expected, or any 4xx.
    status: Option<u16>,
}

#[allow(clippy::too_many_arguments)]
fn case(
    name: impl Into<String>,
    service: Service,
    method: &'static str,
    path: &str,
    cred: Cred,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
    status: Option<u16>,
) -> Case {
    Case {
        name: name.into(),
        service,
        method,
        path: path.to_owned(),
        cred,
        content_type,
        body: body.into(),
        status,
    }
}

const JSON: Option<&str> = Some("application/json");

/// A named body, its content type and the status expected (any 4xx if none).
type Garbage = (&'static str, Vec<u8>, Option<&'static str>, Option<u16>);

/// Bodies that are bad for any JSON endpoint.
fn generic_json_garbage() -> Vec<Garbage> {
    let deep_array = "[".repeat(100_000).into_bytes();
    let deep_object = "{\"a\":".repeat(100_000).into_bytes();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "{\"patients\":[]}".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let json = |name, body: &[u8]| (name, body.to_vec(), JSON, Some(400));
    let unsupported =
        |name, body: &[u8], content_type| (name, body.to_vec(), Some(content_type), Some(415));
    vec![
        json("empty body", b""),
        json("not JSON", b"hello"),
        json("truncated JSON", b"{\"a\": [1, 2"),
        json("JSON null", b"null"),
        json("JSON number", b"12345678901234567890123456789"),
        json("JSON string", b"\"x\""),
        json("JSON array", b"[]"),
        json("invalid UTF-8", b"{\"a\": \"\xff\xfe\xc3\x28\"}"),
        json("overlong UTF-8 quote", b"{\"a\": \"\xc0\xa2\"}"),
        (
            "UTF-16 with BOM",
            utf16,
            Some("application/json; charset=utf-16"),
            Some(400),
        ),
        json("UTF-8 BOM", b"\xef\xbb\xbf{}"),
        json("lone surrogate escape", b"{\"a\": \"\\ud800\"}"),
        json("NUL bytes", b"{\0\0\0}"),
        json("100,000 nested arrays", &deep_array),
        json("100,000 nested objects", &deep_object),
        json("trailing garbage", b"{} {}"),
        unsupported("text/plain", b"{}", "text/plain"),
        unsupported(
            "form content type",
            b"a=b",
            "application/x-www-form-urlencoded",
        ),
        unsupported(
            "multipart",
            b"--x\r\n\r\n--x--",
            "multipart/form-data; boundary=x",
        ),
        unsupported("unparsable content type", b"{}", "%%%;;;=="),
        unsupported("application/xml", b"<a/>", "application/xml"),
    ]
}

/// `POST path` of each named JSON body with `cred`: each a 400.
fn bad_json<'a>(
    path: &'a str,
    cred: Cred,
    bodies: impl IntoIterator<Item = (&'a str, String)>,
) -> impl Iterator<Item = Case> {
    bodies.into_iter().map(move |(name, body)| {
        case(
            format!("{path}: {name}"),
            Service::Idmap,
            "POST",
            path,
            cred,
            JSON,
            body,
            Some(400),
        )
    })
}

/// Endpoint-specific bad bodies (types, sizes, duplicate keys).
fn idmap_cases() -> Vec<Case> {
    use Service::Idmap;
    let mut out = Vec::new();
    let json_endpoints: [(&str, &str, Cred); 9] = [
        ("POST", "/api/v1/link", Cred::Link),
        ("POST", "/api/v1/lookup", Cred::Read),
        ("POST", "/api/save", Cred::Link),
        ("POST", "/api/v1/distinct", Cred::Link),
        ("POST", "/api/v1/admin/merges", Cred::IdmapAdmin),
        ("POST", "/api/v1/admin/rules", Cred::IdmapAdmin),
        ("PATCH", "/api/v1/admin/rules/F_L_D_S", Cred::IdmapAdmin),
        ("POST", "/api/v1/admin/rules/estimate", Cred::IdmapAdmin),
        (
            "POST",
            "/api/v1/admin/conflicts/1/resolve",
            Cred::IdmapAdmin,
        ),
    ];
    for (method, path, cred) in json_endpoints {
        for (name, body, ct, status) in generic_json_garbage() {
            // The resolve action's body is optional (an empty one, or `[]`,
            // which serde reads as a struct of defaults, is valid and
            // answers 404 for the unknown conflict): any 4xx will do.
            let status = if path.ends_with("resolve") && status == Some(400) {
                None
            } else {
                status
            };
            let _ = name;
            out.push(case(
                format!("{method} {path}: {name}"),
                Idmap,
                method,
                path,
                cred,
                ct,
                body,
                status,
            ));
        }
        let deep_inside = format!("{{\"x\": {}}}", "[".repeat(100_000));
        out.push(case(
            format!("{method} {path}: deep inside an object"),
            Idmap,
            method,
            path,
            cred,
            JSON,
            deep_inside,
            Some(400),
        ));
    }
    let link = "/api/v1/link";
    let typed: Vec<(&str, String)> = vec![
        ("patients a number", r#"{"patients": 1}"#.into()),
        (
            "hash a number",
            r#"{"patients": [{"hashes": [{"rule": "F_L_D_S", "hash": 1}]}]}"#.into(),
        ),
        (
            "hash an array",
            r#"{"patients": [{"hashes": [{"rule": "F_L_D_S", "hash": ["a"]}]}]}"#.into(),
        ),
        (
            "ref an object",
            format!(
                r#"{{"patients": [{{"ref": {{}}, "hashes": [{{"rule": "F_L_D_S", "hash": "{}"}}]}}]}}"#,
                h(1)
            ),
        ),
        (
            "ref too long",
            format!(
                r#"{{"patients": [{{"ref": "{}", "hashes": [{{"rule": "F_L_D_S", "hash": "{}"}}]}}]}}"#,
                "r".repeat(129),
                h(1)
            ),
        ),
        (
            "ref with a control character",
            format!(
                r#"{{"patients": [{{"ref": "a\u0007b", "hashes": [{{"rule": "F_L_D_S", "hash": "{}"}}]}}]}}"#,
                h(1)
            ),
        ),
        (
            "hash of 63 hex",
            format!(
                r#"{{"patients": [{{"hashes": [{{"rule": "F_L_D_S", "hash": "{}"}}]}}]}}"#,
                &h(1)[1..]
            ),
        ),
        (
            "hash with a fullwidth digit",
            format!(
                r#"{{"patients": [{{"hashes": [{{"rule": "F_L_D_S", "hash": "{}１"}}]}}]}}"#,
                &h(1)[1..]
            ),
        ),
        (
            "lowercase rule",
            format!(
                r#"{{"patients": [{{"hashes": [{{"rule": "f_l_d_s", "hash": "{}"}}]}}]}}"#,
                h(1)
            ),
        ),
        (
            "1 MB rule",
            format!(
                r#"{{"patients": [{{"hashes": [{{"rule": "{}", "hash": "{}"}}]}}]}}"#,
                "R".repeat(1 << 20),
                h(1)
            ),
        ),
        (
            "duplicate field",
            format!(
                r#"{{"patients": [], "patients": [{{"hashes": [{{"rule": "F_L_D_S", "hash": "{}"}}]}}]}}"#,
                h(1)
            ),
        ),
        (
            "duplicate hash field",
            format!(
                r#"{{"patients": [{{"hashes": [{{"rule": "F_L_D_S", "hash": "{}", "hash": "{}"}}]}}]}}"#,
                h(1),
                h(2)
            ),
        ),
        (
            "salt fingerprint a number",
            r#"{"patients": [], "salt_fingerprint": 5}"#.into(),
        ),
        ("float where an array is", r#"{"patients": 1e400}"#.into()),
    ];
    out.extend(bad_json(link, Cred::Link, typed));
    out.extend(bad_json(
        "/api/v1/lookup",
        Cred::Read,
        [
            ("hashes a string", r#"{"hashes": "x"}"#.to_owned()),
            ("hash a number", r#"{"hashes": [1]}"#.to_owned()),
            ("bad hash", r#"{"hashes": ["zz"]}"#.to_owned()),
            (
                "duplicate field",
                format!(r#"{{"hashes": [], "hashes": ["{}"]}}"#, h(1)),
            ),
        ],
    ));
    out.extend(bad_json(
        "/api/save",
        Cred::Link,
        [
            ("data a list", r#"{"data": []}"#.to_owned()),
            (
                "label not a number",
                format!(r#"{{"data": {{"x": {{"1": "{}"}}}}}}"#, h(1)),
            ),
            (
                "negative label",
                format!(r#"{{"data": {{"-1": {{"1": "{}"}}}}}}"#, h(1)),
            ),
            (
                "label beyond u64",
                format!(
                    r#"{{"data": {{"99999999999999999999999": {{"1": "{}"}}}}}}"#,
                    h(1)
                ),
            ),
            (
                "labels equal as numbers",
                format!(
                    r#"{{"data": {{"1": {{"1": "{}"}}, "01": {{"1": "{}"}}}}}}"#,
                    h(1),
                    h(2)
                ),
            ),
            ("hash a number", r#"{"data": {"0": {"1": 5}}}"#.to_owned()),
            ("entry without hashes", r#"{"data": {"0": {}}}"#.to_owned()),
            (
                "duplicate data field",
                format!(r#"{{"data": {{}}, "data": {{"0": {{"1": "{}"}}}}}}"#, h(1)),
            ),
            ("unknown field", r#"{"data": {}, "x": 1}"#.to_owned()),
        ],
    ));
    for (name, path) in [
        ("bad uuid", "/api/v1/admin/uuids/not-a-uuid"),
        (
            "uuid 10 KB",
            &*format!("/api/v1/admin/uuids/{}", "a".repeat(10_000)),
        ),
        ("audit limit not a number", "/api/v1/admin/audit?limit=abc"),
        ("audit limit negative", "/api/v1/admin/audit?limit=-1"),
        ("audit unknown parameter", "/api/v1/admin/audit?evil=1"),
        ("duplicates limit zero", "/api/v1/duplicates?limit=0"),
        (
            "ambiguous bad partner",
            "/api/v1/admin/ambiguous?partner=%00%ff",
        ),
        (
            "ambiguous unknown parameter",
            "/api/v1/admin/ambiguous?evil=1",
        ),
        (
            "conflicts bad status",
            "/api/v1/admin/conflicts?status=%00%ff",
        ),
    ] {
        out.push(case(
            format!("GET {name}"),
            Idmap,
            "GET",
            path,
            Cred::IdmapAdmin,
            None,
            Vec::new(),
            None,
        ));
    }
    out.push(case(
        "conflict id not a number",
        Idmap,
        "POST",
        "/api/v1/admin/conflicts/x/resolve",
        Cred::IdmapAdmin,
        JSON,
        "{}",
        None,
    ));
    out.push(case(
        "GET on link",
        Idmap,
        "GET",
        link,
        Cred::Link,
        None,
        Vec::new(),
        Some(405),
    ));
    out.push(case(
        "unknown path",
        Idmap,
        "GET",
        "/api/v2/%2e%2e/etc/passwd",
        Cred::Link,
        None,
        Vec::new(),
        Some(404),
    ));
    out
}

fn auth_cases() -> Vec<Case> {
    use Service::Auth;
    let form = Some("application/x-www-form-urlencoded");
    let mut out = Vec::new();
    let garbage: Vec<(&str, Vec<u8>, Option<&'static str>)> = vec![
        ("empty body", Vec::new(), form),
        ("binary", vec![0, 159, 146, 150, 255, 0, 1], form),
        (
            "invalid UTF-8 value",
            b"grant_type=\xff\xfe&token=\xc0\xaf".to_vec(),
            form,
        ),
        (
            "bad percent escapes",
            b"grant_type=%zz&token=%".to_vec(),
            form,
        ),
        (
            "percent-encoded invalid UTF-8",
            b"grant_type=%ff%fe&token=%c0%af".to_vec(),
            form,
        ),
        (
            "duplicate parameters",
            b"grant_type=client_credentials&grant_type=password&token=a&token=b".to_vec(),
            form,
        ),
        (
            "10 KB value",
            format!("grant_type=client_credentials&token={}", "a".repeat(10_000)).into_bytes(),
            form,
        ),
        (
            "10,000 parameters",
            "a=b&".repeat(10_000).into_bytes(),
            form,
        ),
        (
            "JSON instead of a form",
            b"{\"grant_type\": \"client_credentials\"}".to_vec(),
            JSON,
        ),
        (
            "no content type",
            b"grant_type=client_credentials".to_vec(),
            None,
        ),
        ("100 KB body", vec![b'a'; 100 * 1024], form),
        ("nested brackets", "a[".repeat(50_000).into_bytes(), form),
        ("unknown grant", b"grant_type=urn:x:%00".to_vec(), form),
    ];
    for path in ["/oauth/token", "/oauth/introspect", "/oauth/revoke"] {
        for (name, body, ct) in &garbage {
            out.push(case(
                format!("{path}: {name}"),
                Auth,
                "POST",
                path,
                Cred::Basic,
                *ct,
                body.clone(),
                None,
            ));
        }
        out.push(case(
            format!("{path}: GET"),
            Auth,
            "GET",
            path,
            Cred::Basic,
            None,
            Vec::new(),
            Some(405),
        ));
    }
    out.push(case(
        "token: unauthenticated garbage",
        Auth,
        "POST",
        "/oauth/token",
        Cred::None,
        form,
        "grant_type=client_credentials&client_id=%ff",
        None,
    ));
    for (name, query) in [
        ("authorize without parameters", ""),
        (
            "authorize with garbage",
            "?response_type=%ff&client_id=%zz&redirect_uri=javascript:alert(1)",
        ),
        (
            "authorize unknown client",
            "?response_type=code&client_id=nobody&redirect_uri=http://evil.example/",
        ),
    ] {
        out.push(case(
            name,
            Auth,
            "GET",
            &format!("/oauth/authorize{query}"),
            Cred::None,
            None,
            Vec::new(),
            None,
        ));
    }
    out.push(case(
        "userinfo without a token",
        Auth,
        "GET",
        "/oauth/userinfo",
        Cred::None,
        None,
        Vec::new(),
        Some(401),
    ));
    for path in [
        "/admin/api/v1/partners",
        "/admin/api/v1/clients",
        "/admin/api/v1/users",
    ] {
        for (name, body, ct, _) in generic_json_garbage() {
            out.push(case(
                format!("{path}: {name}"),
                Auth,
                "POST",
                path,
                Cred::AuthAdmin,
                ct,
                body,
                None,
            ));
        }
        out.push(case(
            format!("{path}: wrong types"),
            Auth,
            "POST",
            path,
            Cred::AuthAdmin,
            JSON,
            r#"{"code": 1, "name": [], "scope": {}, "email": 5, "password": null}"#,
            Some(400),
        ));
        // The bearer token is checked before the body is read: without a
        // token every body is a 401, and no field name of the API leaks.
        out.push(case(
            format!("{path}: unauthenticated, empty object"),
            Auth,
            "POST",
            path,
            Cred::None,
            JSON,
            "{}",
            Some(401),
        ));
        out.push(case(
            format!("{path}: unauthenticated, well-formed"),
            Auth,
            "POST",
            path,
            Cred::None,
            JSON,
            r#"{"code": "ZZZ", "name": "x", "scope": "idmap:link", "email": "a@b.example", "password": "Pw-123456789-xyz"}"#,
            Some(401),
        ));
    }
    out.push(case(
        "admin: partner code with a NUL",
        Auth,
        "POST",
        "/admin/api/v1/partners",
        Cred::AuthAdmin,
        JSON,
        r#"{"code": "A\u0000B", "name": "x"}"#,
        Some(400),
    ));
    out.push(case(
        "admin: client id path traversal",
        Auth,
        "GET",
        "/admin/api/v1/clients/..%2f..%2fetc%2fpasswd",
        Cred::AuthAdmin,
        None,
        Vec::new(),
        None,
    ));
    out.push(case(
        "unknown path",
        Auth,
        "GET",
        "/%00",
        Cred::None,
        None,
        Vec::new(),
        None,
    ));
    out
}

struct Creds {
    link: String,
    read: String,
    idmap_admin: String,
    auth_admin: String,
    basic: (String, String),
}

async fn send(sys: &System, creds: &Creds, c: &Case) -> reqwest::Response {
    let base = match c.service {
        Service::Auth => &sys.auth_url,
        Service::Idmap => &sys.idmap_url,
    };
    let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap();
    let mut req = sys.http.request(method, format!("{base}{}", c.path));
    if !c.body.is_empty() || c.method == "POST" {
        req = req.body(c.body.clone());
    }
    if let Some(ct) = c.content_type {
        req = req.header("Content-Type", ct);
    }
    req = match c.cred {
        Cred::None => req,
        Cred::Link => req.bearer_auth(&creds.link),
        Cred::Read => req.bearer_auth(&creds.read),
        Cred::IdmapAdmin => req.bearer_auth(&creds.idmap_admin),
        Cred::AuthAdmin => req.bearer_auth(&creds.auth_admin),
        Cred::Basic => req.basic_auth(&creds.basic.0, Some(&creds.basic.1)),
    };
    req.send().await.unwrap()
}

async fn start() -> (System, Creds) {
    let sys = System::start(TestDatabase::create(Backend::Sqlite).unwrap())
        .await
        .unwrap();
    let link = sys.client_token(Some("UFH"), "idmap:link").await.unwrap();
    let read = sys.client_token(None, "idmap:read").await.unwrap();
    let idmap_admin = sys.client_token(None, "idmap:admin").await.unwrap();
    let auth_admin = sys.client_token(None, "admin").await.unwrap();
    let basic = sys
        .client(Some("UFH"), "idmap:link introspect")
        .await
        .unwrap();
    // Something stored, so "unchanged" is not trivially "empty".
    let body =
        json!({"patients": [{"ref": "seed", "hashes": [{"rule": "F_L_D_S", "hash": h(0)}]}]});
    let status = sys.api_status("/api/v1/link", Some(&link), &body).await;
    assert_eq!(status.unwrap(), 200);
    let creds = Creds {
        link,
        read,
        idmap_admin,
        auth_admin,
        basic,
    };
    (sys, creds)
}

/// A good call to each service answers 200 promptly.
async fn both_serve(sys: &System, creds: &Creds) {
    let t = Instant::now();
    let r = sys
        .api(
            "/api/v1/lookup",
            Some(&creds.read),
            &json!({"hashes": [h(0)]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (id, secret) = &creds.basic;
    let r = request_token(&sys.http, &sys.auth_url, id, secret).await;
    assert_eq!(r.unwrap().status(), 200);
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "good calls took {:?}",
        t.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_is_a_json_4xx_and_writes_nothing() {
    let (sys, creds) = start().await;
    let before = sys.idmap_counts().await.unwrap();
    let mut cases = idmap_cases();
    cases.extend(auth_cases());
    assert!(cases.len() > 250, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let r = send(&sys, &creds, c).await;
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        let text = r.text().await.unwrap_or_default();
        let json: Option<Value> = serde_json::from_str(&text).ok();
        let has_error = json.as_ref().is_some_and(|v| {
            v["error"].is_string() || (v["status"] == "error" && v["message"].is_string())
        });
        let ok_status = match c.status {
            Some(s) => status == s,
            None => (400..500).contains(&status),
        };
        let acceptable = if c.path.starts_with("/oauth/authorize") {
            // A browser endpoint: when the client or redirect URI cannot be
            // trusted, RFC 6749 4.1.2.1 says to inform the user rather than
            // redirect, so its errors are HTML pages (4xx).
            (400..500).contains(&status) && content_type.starts_with("text/html")
        } else if status == 200 && c.path == "/oauth/introspect" {
            // RFC 7662: a garbage token is simply not active.
            json == Some(json!({"active": false}))
        } else if status == 200 && c.path == "/oauth/revoke" {
            // RFC 7009 2.2: an invalid token is not an error.
            text.is_empty()
        } else {
            ok_status && content_type.starts_with("application/json") && has_error
        };
        if !acceptable {
            failures.push(format!(
                "{} -> {status} {content_type}: {}",
                c.name,
                &text[..text.len().min(200)]
            ));
        }
        if i % 25 == 0 {
            both_serve(&sys, &creds).await;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(sys.idmap_counts().await.unwrap(), before);
    both_serve(&sys, &creds).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_save_labels_never_store_both_entries() {
    let (sys, creds) = start().await;
    let before = sys.idmap_counts().await.unwrap();
    let raw = format!(
        r#"{{"data": {{"0": {{"1": "{}"}}, "0": {{"1": "{}"}}}}}}"#,
        h(10),
        h(11)
    );
    let r = sys
        .http
        .post(format!("{}/api/save", sys.idmap_url))
        .bearer_auth(&creds.link)
        .header("Content-Type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    let after = sys.idmap_counts().await.unwrap();
    match status {
        // The preferred answer (reported as a finding until implemented).
        400 => {
            assert_eq!(v["status"], "error");
            assert_eq!(after, before);
        }
        // Today: serde keeps the last duplicate, one entry is answered.
        200 => {
            assert_eq!(v["data"].as_object().unwrap().len(), 1, "{v}");
            assert_eq!(after["bindings"], before["bindings"] + 1);
        }
        other => panic!("duplicate labels: {other} {v}"),
    }
}

/// Reads what the server sends until it closes or `limit` passes.
async fn read_answer(stream: &mut TcpStream, limit: Duration) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Sends a raw request head to `url`; the answer (10 s at most) and its
/// status, when there is one.
async fn send_head(url: &str, head: &str) -> (String, Option<u16>) {
    let mut s = TcpStream::connect(host_port(url)).await.unwrap();
    // The server may close before reading everything: not an error.
    let _ = s.write_all(head.as_bytes()).await;
    let answer = read_answer(&mut s, Duration::from_secs(10)).await;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok());
    (answer, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_headers_are_refused_with_a_4xx_and_the_server_lives_on() {
    let (sys, creds) = start().await;
    for url in [&sys.idmap_url, &sys.auth_url] {
        for (name, size) in [("64 KB", 64 * 1024), ("1 MB", 1024 * 1024)] {
            let head = format!(
                "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(size)
            );
            let (answer, status) = send_head(url, &head).await;
            // actix-web reads request heads up to its own buffer limit (a
            // 64 KB header fits; nginx in front refuses header lines over
            // 8 KB with a 400); past it, a 431 or a closed connection.
            // Never a 5xx.
            let fine = if size > 128 * 1024 {
                status.is_none_or(|s| (400..500).contains(&s))
            } else {
                status.is_none_or(|s| s < 500)
            };
            assert!(fine, "{url} {name} header: {answer}");
            eprintln!("{url}: {name} header -> {:?}", status);
        }
        // Many headers rather than one big one.
        let mut head = String::from("GET /health/live HTTP/1.1\r\nHost: x\r\n");
        for i in 0..500 {
            head.push_str(&format!("X-H{i}: v\r\n"));
        }
        head.push_str("\r\n");
        let (answer, status) = send_head(url, &head).await;
        assert!(
            status.is_none_or(|s| (400..500).contains(&s)),
            "{url} 500 headers: {answer}"
        );
        eprintln!("{url}: 500 headers -> {status:?}");
    }
    // A 64 KB bearer token through reqwest: a 4xx, not a crash.
    let big = "a".repeat(64 * 1024);
    let r = sys.api("/api/v1/link", Some(&big), &json!({})).await;
    if let Ok(r) = r {
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    both_serve(&sys, &creds).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_block_others() {
    let (sys, creds) = start().await;
    let mut slow = Vec::new();
    // 25 per service send their headers one byte every 300 ms (slowloris);
    // 25 per service send complete headers and stop in the middle of the body.
    for url in [sys.idmap_url.clone(), sys.auth_url.clone()] {
        for i in 0..25 {
            let addr = host_port(&url);
            slow.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let _ = s
                    .write_all(b"POST /api/v1/link HTTP/1.1\r\nHost: x\r\n")
                    .await;
                let started = Instant::now();
                let mut closed_after = None;
                for _ in 0..40 {
                    if s.write_all(b"X").await.is_err() {
                        closed_after = Some(started.elapsed());
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                let _ = i;
                (
                    closed_after,
                    read_answer(&mut s, Duration::from_millis(200)).await,
                )
            }));
        }
        for _ in 0..25 {
            let addr = host_port(&url);
            let token = creds.link.clone();
            let is_idmap = url == sys.idmap_url;
            slow.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let head = if is_idmap {
                    format!(
                        "POST /api/v1/link HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"patients\": ["
                    )
                } else {
                    "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\ngrant_type=cli".to_owned()
                };
                let _ = s.write_all(head.as_bytes()).await;
                let answer = read_answer(&mut s, Duration::from_secs(12)).await;
                (None, answer)
            }));
        }
    }
    // Meanwhile a normal client keeps getting prompt answers from both.
    let t = Instant::now();
    let mut rounds = 0;
    while t.elapsed() < Duration::from_secs(8) {
        both_serve(&sys, &creds).await;
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(rounds >= 10, "only {rounds} good rounds in 8 s");
    let mut header_slow_closed = 0;
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    for task in slow {
        let (closed, answer) = task.await.unwrap();
        if closed.is_some() || answer.contains(" 408 ") {
            header_slow_closed += 1;
        }
        let first = answer.lines().next().unwrap_or("(none: still open)");
        *answers.entry(first.to_owned()).or_default() += 1;
    }
    eprintln!(
        "slow headers closed by the server: {header_slow_closed}/50; first lines seen: {answers:?}"
    );
    // actix's default client_request_timeout (5 s) closes slowloris
    // connections that never finish their headers.
    assert!(
        header_slow_closed >= 40,
        "only {header_slow_closed} slow-header connections were closed"
    );
    assert_eq!(sys.idmap_counts().await.unwrap()["patient_refs"], 1);
    both_serve(&sys, &creds).await;
}
