//! Clients and databases that stop answering. A client that sends a
//! request head and part of a body, then stalls, is answered 408 and cut
//! off within the body timeout, with a valid token or without one; a
//! stalled head and an idle keep-alive connection are closed as well. A
//! database that hangs (a proxy in front of it stops passing bytes) makes
//! `/health/ready` answer 503 within its time bound instead of hanging.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use idmap_storage::Backend;
use idmap_storage::testing::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{TestApp, spawn_app_with, start_app_at};

/// Everything the server sends until it closes the connection, and how
/// long that took; panics if it is still open after `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut received)).await;
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(
        read.is_ok(),
        "connection still open after {within:?}; got {text:?}"
    );
    (text, start.elapsed())
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

fn head(token: Option<&str>) -> String {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "POST /api/v1/link HTTP/1.1\r\nHost: idmap\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: 100000\r\n\r\n{{\"patients\": ["
    )
}

#[tokio::test]
async fn stalled_clients_are_cut_off() {
    let Some(db) = TestDatabase::create(Backend::Sqlite) else {
        return;
    };
    let limits = [
        ("IDMAP_BODY_TIMEOUT", "1"),
        ("IDMAP_HEADER_TIMEOUT", "1"),
        ("IDMAP_KEEP_ALIVE", "1"),
    ];
    let app = spawn_app_with(db, &limits).await;
    let bound = Duration::from_secs(4);

    // A valid token and a body that stops: 408, then the connection closes.
    let mut s = connect(&app).await;
    let token = app.issuer.link_token("UFH");
    s.write_all(head(Some(&token)).as_bytes()).await.unwrap();
    let (answer, took) = until_closed(&mut s, bound).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(
        took >= Duration::from_millis(900),
        "cut off early: {took:?}"
    );

    // Without a token the answer comes at once; the connection still closes.
    let mut s = connect(&app).await;
    s.write_all(head(None).as_bytes()).await.unwrap();
    let (answer, _) = until_closed(&mut s, bound).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    // A head that never ends, and an idle keep-alive connection.
    let mut s = connect(&app).await;
    s.write_all(b"POST /api/v1/link HTTP/1.1\r\nHost: idm")
        .await
        .unwrap();
    until_closed(&mut s, bound).await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /health/live HTTP/1.1\r\nHost: idmap\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut s, bound).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let metrics = app.metrics().await;
    assert!(metrics.contains("status=\"408\""), "{metrics}");
}

/// A TCP proxy to `upstream` that stops passing bytes while `stalled` is
/// set, as a database that hangs would.
async fn proxy(upstream: String, stalled: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pump(cr, sw, stalled.clone()));
            tokio::spawn(pump(sr, cw, stalled.clone()));
        }
    });
    port
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Lets the proxy pass bytes again when the test ends, however it ends,
/// so that blocked database calls return.
struct Resume(Arc<AtomicBool>);

impl Drop for Resume {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> (String, String) {
    let at = url.find('@').unwrap() + 1;
    let slash = at + url[at..].find('/').unwrap();
    (
        url[at..slash].to_owned(),
        format!("{}127.0.0.1:{port}{}", &url[..at], &url[slash..]),
    )
}

async fn readiness_is_bounded_while_the_database_hangs(db: TestDatabase) {
    if db.backend() == Backend::Sqlite {
        return;
    }
    let stalled = Arc::new(AtomicBool::new(false));
    let _resume = Resume(stalled.clone());
    let (upstream, _) = through(db.url(), 0);
    let port = proxy(upstream, stalled.clone()).await;
    let (_, url) = through(db.url(), port);
    let app = start_app_at(&url, &[]).await;
    app.wait_ready().await;

    stalled.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        let start = Instant::now();
        let r = app
            .http
            .get(format!("{}/health/ready", app.url))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .expect("readiness did not answer within 3 s");
        let took = start.elapsed();
        assert_eq!(r.status(), 503);
        assert!(
            took < Duration::from_millis(1_000),
            "answered after {took:?}"
        );
    }
    stalled.store(false, Ordering::SeqCst);
    app.wait_ready().await;
}

per_backend!(readiness_is_bounded_while_the_database_hangs);
