//! Builds the application from settings: database (migrated), keys, the
//! HTTP server bound on the configured address. Binding here, before
//! running, lets tests use port 0 and read the real port.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, web};
use anyhow::Context;
use idmap_actix_auth::BearerAuth;
use idmap_storage::{Database, DatabaseUrl};
use idmap_web::DbMetrics;
use idmap_web::serve::Edge;
use secrecy::ExposeSecret;

use crate::config::{MailerKind, Settings};
use crate::db;
use crate::domain::client_secret::SecretHasher;
use crate::domain::throttle::Limits;
use crate::error;
use crate::http::state::{AdminState, OAuthState};
use crate::keys::{KeyStore, hmac_key};
use crate::metrics::{self, AuthMetrics};
use crate::pages::session::SessionKeys;
use crate::pages::state::PagesState;
use crate::pages::templates::Templates;
use crate::services::access_tokens::LocalVerifier;
use crate::services::credentials::Credentials;
use crate::services::issuer::TokenIssuer;
use crate::services::mailer::Mailer;
use crate::services::metadata::ServerMetadata;
use crate::services::rate_limit::RateLimiter;
use crate::services::token::TokenService;
use crate::{http, openapi, pages};

/// What to change when the mailer cannot start; the file mailer's directory
/// is the usual culprit on a read-only root file system.
fn mailer_hint(settings: &Settings) -> String {
    match settings.mailer {
        MailerKind::File => format!(
            "cannot set up the mailer: AUTH_MAILER=file writes to AUTH_MAIL_DIR ({}); \
             make it writable, or set AUTH_MAILER=smtp and AUTH_SMTP_URL",
            settings.mail_dir.display()
        ),
        MailerKind::Smtp | MailerKind::Log => {
            "cannot set up the mailer: check AUTH_SMTP_URL and AUTH_MAIL_FROM".to_owned()
        }
    }
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    poller: tokio::task::JoinHandle<()>,
    /// Reloads the clients and revocations the OAuth endpoints answer from.
    refresher: tokio::task::JoinHandle<()>,
}

/// Opens the pool and applies pending migrations (used by every command).
pub async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let url = DatabaseUrl::parse(settings.database_url.expose_secret())
        .context("AUTH_DATABASE_URL is invalid")?;
    let db = Database::connect(&url, settings.db_pool_size).context("cannot open the database")?;
    let migrating = db.clone();
    let applied = tokio::task::spawn_blocking(move || migrating.migrate(db::migrations()))
        .await
        .context("migration task failed")?
        .context("cannot apply database migrations")?;
    for version in &applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(db)
}

/// Loads (creating on first start) the client-secret hashing key.
pub async fn load_secret_hasher(settings: &Settings) -> anyhow::Result<Arc<SecretHasher>> {
    let dir = settings.signing_key_dir.clone();
    let hasher = tokio::task::spawn_blocking(move || hmac_key::load_or_create(&dir))
        .await
        .context("key task failed")?
        .with_context(|| {
            format!(
                "cannot load the client-secret key in {}",
                settings.signing_key_dir.display()
            )
        })?;
    Ok(Arc::new(hasher))
}

impl Application {
    /// Prepares everything the server needs and binds its listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = open_database(settings).await?;
        let hasher = load_secret_hasher(settings).await?;
        let (dir, alg) = (settings.signing_key_dir.clone(), settings.signing_alg);
        let ttl = settings.access_token_ttl;
        let keys = tokio::task::spawn_blocking(move || KeyStore::load_with_ttl(&dir, alg, ttl))
            .await
            .context("key task failed")?
            .with_context(|| {
                format!(
                    "cannot load signing keys in {}",
                    settings.signing_key_dir.display()
                )
            })?;
        let keys = Arc::new(keys);
        tracing::info!(kid = %keys.signing_key().kid, alg = ?alg, "signing key loaded");

        let issuer = settings.issuer_base().to_owned();
        let dir = settings.signing_key_dir.clone();
        let session_key = tokio::task::spawn_blocking(move || {
            hmac_key::load_or_create_bytes(&dir, hmac_key::SESSION_FILE_NAME)
        })
        .await
        .context("key task failed")?
        .context("cannot load the session key")?;
        let poller = spawn_key_poller(keys.clone(), settings.key_poll_interval);
        let credentials = Credentials::new(db.clone());
        let registry = idmap_web::Metrics::new().context("cannot set up metrics")?;
        let auth_metrics =
            AuthMetrics::register(&registry, keys.clone()).context("cannot register metrics")?;
        let db_metrics = DbMetrics::register(&registry, "auth", db.clone(), metrics::db_error_kind)
            .context("cannot register database metrics")?;
        let verifier = LocalVerifier::new(keys.clone(), issuer.clone(), credentials.clone());
        let trusted_proxies = settings.trusted_proxy_list()?;
        let templates = Arc::new(Templates::new().context("cannot load page templates")?);
        let login_limiter = Arc::new(RateLimiter::new(
            "login",
            true,
            Limits {
                per_pair: settings.login_failures,
                ceiling: settings.login_account_ceiling,
                slow_budget: SLOW_BUDGET,
                per_ip: settings.login_ip_failures,
                window: seconds(settings.login_window),
            },
            db.clone(),
        ));
        let oauth = web::Data::new(OAuthState {
            tokens: TokenService::new(
                db.clone(),
                credentials.clone(),
                hasher.clone(),
                TokenIssuer::new(keys.clone(), issuer.clone(), settings.access_token_ttl),
            )
            .with_user_grants(
                settings.enable_password_grant,
                settings.refresh_token_ttl,
                settings.refresh_family_ttl,
            ),
            verifier: verifier.clone(),
            keys: keys.clone(),
            metadata: ServerMetadata::new(
                &issuer,
                settings.enable_password_grant,
                settings.enable_implicit_grant,
            ),
            jwks_max_age: settings.jwks_max_age,
            implicit_enabled: settings.enable_implicit_grant,
            client_limiter: RateLimiter::new(
                "client",
                settings.rate_limit_enabled,
                Limits {
                    per_pair: settings.rate_limit_client_failures,
                    ceiling: settings.rate_limit_client_ceiling,
                    slow_budget: SLOW_BUDGET,
                    per_ip: settings.rate_limit_ip_failures,
                    window: seconds(settings.rate_limit_window),
                },
                db.clone(),
            ),
            login_limiter: login_limiter.clone(),
            trusted_proxies: trusted_proxies.clone(),
        });
        let admin = web::Data::new(AdminState {
            keys,
            key_dir: settings.signing_key_dir.clone(),
            signing_alg: settings.signing_alg,
            publication_delay: settings.publication_delay(),
        });
        let pages = web::Data::new(PagesState {
            sessions: SessionKeys::new(
                session_key,
                settings.issuer_is_https(),
                settings.session_ttl,
            ),
            templates: templates.clone(),
            mailer: Mailer::from_settings(settings).with_context(|| mailer_hint(settings))?,
            base_url: issuer.clone(),
            login_limiter,
            mail_limiter: RateLimiter::new(
                "mail",
                true,
                Limits {
                    per_pair: MAIL_PER_ADDRESS,
                    ceiling: MAIL_PER_ADDRESS,
                    slow_budget: 0,
                    per_ip: MAIL_PER_IP,
                    window: MAIL_WINDOW_SECS,
                },
                db.clone(),
            ),
            trusted_proxies,
        });
        let templates = web::Data::from(templates);
        let hasher = web::Data::from(hasher);
        let auth_metrics = web::Data::new(auth_metrics);
        let db = web::Data::new(db);

        let (listener, port) = idmap_web::serve::bind(&settings.listen)?;
        let edge = Edge::new(registry, db_metrics, settings.timeouts());
        // The realm is only a fallback: this server answers in its own envelope.
        let bearer = BearerAuth::new(verifier, "idmap");
        let server = edge
            .start(listener, move || {
                App::new()
                    .app_data(db.clone())
                    .app_data(auth_metrics.clone())
                    .app_data(hasher.clone())
                    .app_data(templates.clone())
                    .app_data(oauth.clone())
                    .app_data(admin.clone())
                    .app_data(pages.clone())
                    .app_data(bearer.clone())
                    .app_data(web::JsonConfig::default().error_handler(error::json_error))
                    .app_data(web::QueryConfig::default().error_handler(error::query_error))
                    .app_data(web::PathConfig::default().error_handler(error::path_error))
                    .wrap(
                        ErrorHandlers::new()
                            .handler(StatusCode::NOT_FOUND, pages::not_found::page_for_404),
                    )
                    .configure(http::configure)
                    .configure(pages::configure)
                    .configure(openapi::configure)
                    .default_service(web::to(error::not_found))
            })
            .context("cannot start the HTTP server")?;
        tracing::info!(address = %settings.listen, port, "listening");
        let refresher = credentials.spawn_refresh();
        Ok(Self {
            port,
            server,
            poller,
            refresher,
        })
    }

    /// The port actually bound (useful when the settings said 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = idmap_web::serve::until_signal(self.server).await;
        self.poller.abort();
        self.refresher.abort();
        result
    }

    /// Serves without installing signal handlers, for embedding (tests run
    /// many servers in one process and must leave Ctrl-C to the runner).
    pub async fn run_without_signal_handlers(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.poller.abort();
        self.refresher.abort();
        result
    }
}

/// A server running on a task of this runtime, and what its embedder
/// uses beside HTTP.
pub struct Embedded {
    /// `http://127.0.0.1:{port}`.
    pub url: String,
    pub db: Database,
    pub hasher: Arc<SecretHasher>,
}

/// Builds the server for `settings` and runs it in-process, without
/// signal handlers (see [`Application::run_without_signal_handlers`]).
pub async fn embed(settings: &Settings) -> anyhow::Result<Embedded> {
    let app = Application::build(settings).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_without_signal_handlers());
    Ok(Embedded {
        url,
        db: open_database(settings).await?,
        hasher: load_secret_hasher(settings).await?,
    })
}

/// Watches the key directory so rotations by the CLI or another replica
/// apply without a restart; a cheap listing, a reload only on change.
fn spawn_key_poller(keys: Arc<KeyStore>, interval: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(interval.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = keys.clone();
            match tokio::task::spawn_blocking(move || store.reload_if_changed()).await {
                Ok(Ok(true)) => tracing::info!("signing keys reloaded"),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot reload signing keys; keeping the loaded ones")
                }
                Err(e) => tracing::warn!(error = %e, "key reload task failed"),
            }
        }
    })
}

/// Mail-sending form posts allowed per address (from anywhere: a mailbox
/// must not be flooded from many addresses either) and per IP in
/// [`MAIL_WINDOW_SECS`].
const MAIL_PER_ADDRESS: u32 = 5;
const MAIL_PER_IP: u32 = 30;
const MAIL_WINDOW_SECS: i64 = 900;

/// Failures an address may add for a client or account past its ceiling.
const SLOW_BUDGET: u32 = 1;

fn seconds(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 4)
}
