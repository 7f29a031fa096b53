//! A stand-in for idmap-server placed between the CLI and the real server:
//! it forwards requests, and can first answer 503 (with `Retry-After`) or
//! 401, or answer slowly, while counting what the CLI sent. Plain HTTP/1.1,
//! one request per connection (`Connection: close`), enough for reqwest.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Faults to inject and what was seen.
#[derive(Debug, Default)]
pub struct Faults {
    /// Answer this many link requests with 503 and `Retry-After: 1`.
    pub unavailable: u32,
    /// Answer this many link requests with 401.
    pub unauthorized: u32,
    /// Wait this long before forwarding each request.
    pub delay: Duration,
    /// Link requests received.
    pub requests: u32,
    /// Refs of every patient forwarded, in order (resends included).
    pub refs_forwarded: Vec<String>,
    /// Bearer tokens seen, in order of first use.
    pub tokens: Vec<String>,
}

/// A running stand-in.
pub struct StandIn {
    /// Base URL to give the CLI as `--url`.
    pub url: String,
    /// Shared fault settings and counters.
    pub faults: Arc<Mutex<Faults>>,
}

impl StandIn {
    /// Starts forwarding to `upstream` on a free port.
    pub async fn start(upstream: &str, faults: Faults) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let faults = Arc::new(Mutex::new(faults));
        let shared = faults.clone();
        let upstream = upstream.to_owned();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (faults, http, upstream) = (shared.clone(), http.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &faults, &http, &upstream).await;
                });
            }
        });
        StandIn { url, faults }
    }

    /// Link requests received so far.
    pub fn requests(&self) -> u32 {
        self.faults.lock().unwrap().requests
    }
}

async fn serve(
    stream: TcpStream,
    faults: &Mutex<Faults>,
    http: &reqwest::Client,
    upstream: &str,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut content_length = 0usize;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim().to_owned();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.parse().unwrap_or(0),
                "authorization" => authorization = Some(value),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).await?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();

    let (inject, delay) = {
        let mut f = faults.lock().unwrap();
        f.requests += 1;
        if let Some(token) = &authorization
            && !f.tokens.contains(token)
        {
            f.tokens.push(token.clone());
        }
        let inject = if f.unavailable > 0 {
            f.unavailable -= 1;
            Some((503, "Retry-After: 1\r\n"))
        } else if f.unauthorized > 0 {
            f.unauthorized -= 1;
            Some((
                401,
                "WWW-Authenticate: Bearer realm=\"idmap\", error=\"invalid_token\"\r\n",
            ))
        } else {
            None
        };
        (inject, f.delay)
    };
    tokio::time::sleep(delay).await;
    let mut stream = reader.into_inner();
    if let Some((status, header)) = inject {
        let body = format!(r#"{{"error":"injected","error_description":"stand-in {status}"}}"#);
        let response = format!(
            "HTTP/1.1 {status} Injected\r\n{header}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
        return stream.shutdown().await;
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) {
        let refs = json["patients"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| p["ref"].as_str().unwrap_or_default().to_owned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        faults.lock().unwrap().refs_forwarded.extend(refs);
    }
    let mut forwarded = http
        .post(format!("{upstream}{path}"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(auth) = authorization {
        forwarded = forwarded.header("authorization", auth);
    }
    let answer = forwarded.send().await.unwrap();
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.unwrap();
    let head = format!(
        "HTTP/1.1 {status} Forwarded\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&bytes).await?;
    stream.shutdown().await
}
