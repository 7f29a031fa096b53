//! The load generator's HTTP client: one keep-alive HTTP/1.1 connection per
//! worker on hyper's low-level API (the default), or a shared reqwest client
//! for comparison (`--client reqwest`). Loopback targets only.

use std::borrow::Cow;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper_util::rt::TokioIo;

/// Which client library sends the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientKind {
    Hyper,
    Reqwest,
}

/// A base URL such as `http://127.0.0.1:8082`, checked to be loopback.
#[derive(Debug, Clone)]
pub struct Target {
    pub base: String,
    pub addr: SocketAddr,
    authority: HeaderValue,
}

impl Target {
    /// Parses `http://host:port`; refuses anything but a loopback address.
    pub fn parse(base: &str) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        let Some(authority) = base.strip_prefix("http://") else {
            bail!("{base}: only plain http:// on loopback is benchmarked");
        };
        let addr: SocketAddr = authority
            .parse()
            .with_context(|| format!("{base}: expected http://IP:PORT"))?;
        if !addr.ip().is_loopback() {
            bail!("{base}: not a loopback address; the benchmark stays on this host");
        }
        Ok(Self {
            authority: HeaderValue::from_str(authority)?,
            base,
            addr,
        })
    }
}

/// An endpoint URL split into the server to connect to and the path to
/// post to, as authorization server metadata gives endpoints.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub target: Target,
    pub path: String,
}

impl Endpoint {
    /// Parses `http://IP:PORT/path[?query]`; loopback only, as [`Target`].
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).with_context(|| format!("{url}: not a URL"))?;
        let origin = &parsed[..url::Position::BeforePath];
        Ok(Self {
            target: Target::parse(origin)?,
            path: parsed[url::Position::BeforePath..].to_owned(),
        })
    }

    /// The whole URL again.
    pub fn url(&self) -> String {
        format!("{}{}", self.target.base, self.path)
    }
}

/// One request: POST `path` with headers and body.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: Cow<'static, str>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// A worker's connection.
pub enum Conn {
    Hyper {
        target: Target,
        sender: Option<SendRequest<Full<Bytes>>>,
    },
    Reqwest {
        target: Target,
        client: reqwest::Client,
    },
}

impl Conn {
    /// A connection of `kind`; `shared` is the reqwest client all workers use.
    pub fn new(kind: ClientKind, target: &Target, shared: &reqwest::Client) -> Self {
        match kind {
            ClientKind::Hyper => Conn::Hyper {
                target: target.clone(),
                sender: None,
            },
            ClientKind::Reqwest => Conn::Reqwest {
                target: target.clone(),
                client: shared.clone(),
            },
        }
    }

    /// Sends `req` and reads the whole answer: (status, body).
    pub async fn send(&mut self, req: &Request) -> anyhow::Result<(u16, Bytes)> {
        match self {
            Conn::Hyper { target, sender } => {
                let result = send_hyper(target, sender, req).await;
                if result.is_err() {
                    // Reconnect next time; the server may have closed it.
                    *sender = None;
                }
                result
            }
            Conn::Reqwest { target, client } => {
                let mut builder = client.post(format!("{}{}", target.base, req.path));
                for (k, v) in &req.headers {
                    builder = builder.header(k, v);
                }
                let response = builder.body(req.body.clone()).send().await?;
                let status = response.status().as_u16();
                Ok((status, response.bytes().await?))
            }
        }
    }
}

async fn send_hyper(
    target: &Target,
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    req: &Request,
) -> anyhow::Result<(u16, Bytes)> {
    if sender.as_ref().is_none_or(SendRequest::is_closed) {
        let stream = tokio::net::TcpStream::connect(target.addr)
            .await
            .with_context(|| format!("cannot connect to {}", target.base))?;
        stream.set_nodelay(true)?;
        let (s, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        *sender = Some(s);
    }
    let Some(s) = sender.as_mut() else {
        bail!("no connection");
    };
    s.ready().await?;
    let mut builder =
        hyper::Request::post(&*req.path).header(hyper::header::HOST, &target.authority);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    let response = s
        .send_request(builder.body(Full::new(req.body.clone()))?)
        .await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// The shared reqwest client: keep-alive pool, no proxy, HTTP/1.1.
pub fn reqwest_client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client")
}

/// A header pair from static names and owned values.
pub fn header(name: HeaderName, value: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    Ok((name, HeaderValue::from_str(value)?))
}

/// The headers of a JSON request to idmap-server with `token`.
pub fn json_with_bearer(token: &str) -> anyhow::Result<Vec<(HeaderName, HeaderValue)>> {
    Ok(vec![
        header(AUTHORIZATION, &format!("Bearer {token}"))?,
        header(CONTENT_TYPE, "application/json")?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_splits_server_and_path() {
        let e = Endpoint::parse("http://127.0.0.1:8081/token/introspection").unwrap();
        assert_eq!(e.target.base, "http://127.0.0.1:8081");
        assert_eq!(e.path, "/token/introspection");
        assert_eq!(e.url(), "http://127.0.0.1:8081/token/introspection");
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:9/a?b=c").unwrap().path,
            "/a?b=c"
        );
    }

    #[test]
    fn endpoint_stays_on_loopback() {
        assert!(Endpoint::parse("http://192.0.2.1:8081/oauth/token").is_err());
        assert!(Endpoint::parse("https://127.0.0.1:8081/oauth/token").is_err());
        assert!(Endpoint::parse("not a url").is_err());
    }
}
