//! How both servers run: the allocator capped before any thread starts, one
//! runtime, a failed start reported as one line, the HTTP server built with
//! the same limits, and a graceful stop on SIGINT as on SIGTERM: the
//! listener closes and requests in flight get [`SHUTDOWN_TIMEOUT_SECS`] to
//! finish (actix alone would stop at once on SIGINT).

use std::future::Future;
use std::net::TcpListener;
use std::process::ExitCode;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, Error, HttpServer, web};
use anyhow::Context;

use crate::timeouts::{BodyTimeout, HttpTimeouts};
use crate::{DbMetrics, Metrics};

/// Seconds requests in flight get to finish after a shutdown signal.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

/// Runs a binary's command: caps the allocator's arenas, then drives `run`
/// on a multi-threaded runtime; a failure is reported as one line.
pub fn main(run: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    // Before the runtime starts its threads.
    crate::allocator::limit_arenas();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => crate::report::exit_with(&e),
    }
}

/// What every app of both services carries: the metrics registry, the
/// database metrics and the body time limit, with the middleware that
/// reads them and the request id around everything.
#[derive(Clone)]
pub struct Edge {
    registry: web::Data<Metrics>,
    db_metrics: web::Data<DbMetrics>,
    body_timeout: web::Data<BodyTimeout>,
    timeouts: HttpTimeouts,
}

impl Edge {
    pub fn new(registry: Metrics, db_metrics: DbMetrics, timeouts: HttpTimeouts) -> Self {
        Self {
            registry: web::Data::new(registry),
            db_metrics: web::Data::new(db_metrics),
            body_timeout: web::Data::new(timeouts.body_limit()),
            timeouts,
        }
    }

    /// Starts serving the apps `app` makes, inside the shared middleware,
    /// on `listener` with the service's time limits. Signals are left to
    /// [`until_signal`].
    pub fn start<F, T, B>(self, listener: TcpListener, app: F) -> std::io::Result<Server>
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let timeouts = self.timeouts;
        // The last `wrap` runs first: the request id must cover the log
        // lines of everything inside it, and the metrics must see the 408
        // of a stalled body.
        let around = move || {
            app()
                .app_data(self.registry.clone())
                .app_data(self.db_metrics.clone())
                .app_data(self.body_timeout.clone())
                .wrap(from_fn(crate::timeouts::limit_body_time))
                .wrap(from_fn(crate::db_metrics::count_db_errors))
                .wrap(from_fn(crate::metrics::track))
                .wrap(from_fn(crate::request_id::request_context))
        };
        Ok(HttpServer::new(around)
            .disable_signals()
            .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
            .client_request_timeout(timeouts.header)
            .keep_alive(timeouts.keep_alive)
            .listen(listener)?
            .run())
    }
}

/// The listener on `address`, bound before the server starts so that a
/// test can ask for port 0, and the port actually bound.
pub fn bind(address: &str) -> anyhow::Result<(TcpListener, u16)> {
    let listener =
        TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))?;
    let port = listener
        .local_addr()
        .context("listener has no address")?
        .port();
    Ok((listener, port))
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
pub async fn until_signal(server: Server) -> std::io::Result<()> {
    let stopper = tokio::spawn(stop_on_signal(server.handle()));
    let result = server.await;
    stopper.abort();
    result
}

async fn stop_on_signal(handle: ServerHandle) {
    shutdown_signal().await;
    tracing::info!("shutdown signal received; finishing in-flight requests");
    handle.stop(true).await;
}

/// Resolves on SIGINT or SIGTERM (on Unix; Ctrl-C elsewhere).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
