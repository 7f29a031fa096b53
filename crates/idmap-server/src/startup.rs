//! Builds the application: database (migrated), verifier with its JWKS
//! refresh task, rule cache, and the HTTP server bound on the configured
//! address. The listener is bound here so tests can ask for port 0 and read
//! the real port back.

use actix_web::dev::Server;
use actix_web::{App, web};
use anyhow::Context;
use idmap_actix_auth::BearerAuth;
use idmap_common::verifier::{Verifier, VerifierConfig};
use idmap_storage::{Database, DatabaseUrl};
use idmap_web::DbMetrics;
use idmap_web::serve::Edge;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::db::rules::RuleCache;
use crate::domain::linkage::Settings as LinkSettings;
use crate::metrics::{self, ServiceMetrics};
use crate::{db, routes};

/// What every handler can reach; built once at start-up.
pub struct AppState {
    pub db: Database,
    pub verifier: Verifier,
    pub rules: RuleCache,
    pub max_patients: usize,
    /// Lowercase; empty when the fingerprint check is off.
    pub salt_fingerprints: Vec<String>,
    pub metrics: ServiceMetrics,
    /// The network's linkage settings; the weights come from `rules`.
    pub linkage: LinkSettings,
}

impl AppState {
    /// The linkage settings of one request, with the rules' current
    /// weights (loaded by the request's `rules.codes` call).
    pub fn link_settings(&self) -> std::sync::Arc<LinkSettings> {
        std::sync::Arc::new(LinkSettings {
            weights: self.rules.weights(),
            ..self.linkage.clone()
        })
    }
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    refresh: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Connects, migrates, binds; fails early on bad settings or a database
    /// that cannot be migrated.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = connect(settings)?;
        let applied = run_migrations(&db).await?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied database migrations");
        }
        let mut verifier_config = VerifierConfig::new(&settings.issuer, &settings.audience);
        verifier_config.jwks_url = settings.jwks_url.clone();
        let verifier = Verifier::new(verifier_config).context("invalid token verifier settings")?;
        let refresh = verifier.spawn_refresh_task();
        let registry = idmap_web::Metrics::new().context("cannot set up metrics")?;
        let service_metrics = ServiceMetrics::register(&registry, verifier.clone())
            .context("cannot register metrics")?;
        let db_metrics =
            DbMetrics::register(&registry, "idmap", db.clone(), metrics::db_error_kind)
                .context("cannot register database metrics")?;
        let state = web::Data::new(AppState {
            rules: RuleCache::new(db.clone()),
            db,
            verifier,
            max_patients: settings.max_patients,
            salt_fingerprints: settings.fingerprints(),
            metrics: service_metrics,
            linkage: LinkSettings {
                policy: settings.same_partner_policy,
                max_refs_per_hash: settings.max_refs_per_hash,
                link_threshold: settings.link_threshold,
                ..LinkSettings::default()
            },
        });

        let (listener, port) = idmap_web::serve::bind(&settings.listen)?;
        let edge = Edge::new(registry, db_metrics, settings.timeouts());
        let bearer = BearerAuth::from(state.verifier.clone());
        let server = edge.start(listener, move || {
            App::new()
                .app_data(state.clone())
                .app_data(bearer.clone())
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })?;
        tracing::info!(port, issuer = %settings.issuer, "idmap-server listening");
        Ok(Self {
            port,
            server,
            refresh,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = idmap_web::serve::until_signal(self.server).await;
        self.refresh.abort();
        result
    }
}

/// Applies pending migrations alone (`idmap-server migrate`).
pub async fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let db = connect(settings)?;
    run_migrations(&db).await
}

/// A migrated pool for admin commands (`import-legacy`).
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<Database> {
    let db = connect(settings)?;
    run_migrations(&db).await?;
    Ok(db)
}

fn connect(settings: &Settings) -> anyhow::Result<Database> {
    let url = DatabaseUrl::parse(settings.database_url.expose_secret())
        .context("invalid IDMAP_DATABASE_URL")?;
    Database::connect(&url, settings.db_pool_size).context("cannot set up the database pool")
}

async fn run_migrations(db: &Database) -> anyhow::Result<Vec<String>> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || db.migrate(db::migrations()))
        .await
        .context("migration task failed")?
        .context("cannot apply database migrations")
}
