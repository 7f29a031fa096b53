//! A running pair of real services for end-to-end tests: auth-server on a
//! free port with its issuer URL pointing at itself, and idmap-server that
//! discovers the JWKS through that issuer's metadata, as in production.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use auth_server::domain::client_secret::SecretHasher;
use auth_server::services::clients::{self, NewClient};
use idmap_storage::Database;
use idmap_storage::testing::TestDatabase;
use serde_json::Value;

/// Both services and the handles a test needs.
pub struct System {
    pub auth_url: String,
    pub idmap_url: String,
    pub http: reqwest::Client,
    auth_db: Database,
    hasher: Arc<SecretHasher>,
    key_dir: PathBuf,
    idmap_db_handle: Database,
    _dir: tempfile::TempDir,
    _idmap_db: TestDatabase,
}

/// Failure while starting the system; tests unwrap it.
pub type StartResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn free_port() -> StartResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn env(pairs: &[(&str, String)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Extra settings for one test's services, added to (or replacing) the
/// defaults `System::start` uses: for example `AUTH_ACCESS_TOKEN_TTL` for a
/// short token lifetime, or `IDMAP_SALT_FINGERPRINTS` to turn on the salt
/// check.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Variables for auth-server.
    pub auth_env: Vec<(String, String)>,
    /// Variables for idmap-server.
    pub idmap_env: Vec<(String, String)>,
}

impl Settings {
    /// Adds an auth-server variable.
    pub fn auth(mut self, name: &str, value: impl Into<String>) -> Self {
        self.auth_env.push((name.to_owned(), value.into()));
        self
    }

    /// Adds an idmap-server variable.
    pub fn idmap(mut self, name: &str, value: impl Into<String>) -> Self {
        self.idmap_env.push((name.to_owned(), value.into()));
        self
    }
}

impl System {
    /// Starts both services on SQLite; idmap-server's database may be any
    /// backend (`TestDatabase`), so the same flow runs on each.
    pub async fn start(idmap_db: TestDatabase) -> StartResult<Self> {
        Self::start_with(idmap_db, Settings::default()).await
    }

    /// Like `start`, with extra settings for either service.
    pub async fn start_with(idmap_db: TestDatabase, extra: Settings) -> StartResult<Self> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let auth_url = format!("http://127.0.0.1:{port}");
        let mut auth_env = env(&[
            ("AUTH_LISTEN", format!("127.0.0.1:{port}")),
            ("AUTH_ISSUER", auth_url.clone()),
            (
                "AUTH_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("auth.db").display()),
            ),
            (
                "AUTH_SIGNING_KEY_DIR",
                dir.path().join("keys").display().to_string(),
            ),
        ]);
        auth_env.extend(extra.auth_env);
        let auth_settings = auth_server::config::Settings::load(None, &auth_env)?;
        let auth = auth_server::startup::Application::build(&auth_settings).await?;
        tokio::spawn(auth.run_without_signal_handlers());
        let auth_db = auth_server::startup::open_database(&auth_settings).await?;
        let hasher = auth_server::startup::load_secret_hasher(&auth_settings).await?;

        let mut idmap_env = env(&[
            ("IDMAP_LISTEN", "127.0.0.1:0".into()),
            ("IDMAP_ISSUER", auth_url.clone()),
            ("IDMAP_DATABASE_URL", idmap_db.url().to_owned()),
        ]);
        idmap_env.extend(extra.idmap_env);
        let idmap_settings = idmap_server::config::Settings::load(None, &idmap_env)?;
        let idmap = idmap_server::startup::Application::build(&idmap_settings).await?;
        let idmap_url = format!("http://127.0.0.1:{}", idmap.port());
        tokio::spawn(idmap.run_until_stopped());

        let idmap_db_handle = Database::connect(&idmap_db.database_url(), 2)?;
        let system = Self {
            auth_url,
            idmap_url,
            http: reqwest::Client::new(),
            auth_db,
            hasher,
            key_dir: dir.path().join("keys"),
            idmap_db_handle,
            _dir: dir,
            _idmap_db: idmap_db,
        };
        system.wait_ready().await?;
        Ok(system)
    }

    /// auth-server's signing-key directory (`signing-<seq>.pem`, PKCS#8),
    /// so security tests can mint tokens with the real private key.
    pub fn signing_key_dir(&self) -> &Path {
        &self.key_dir
    }

    /// Signs `claims` with auth-server's current signing key and its usual
    /// header, for tokens auth-server would never issue (expired, for
    /// another audience, lacking a claim).
    pub fn sign(&self, claims: &Value) -> StartResult<String> {
        // The directory already holds auth-server's keys: nothing is created.
        let keys = auth_server::keys::KeyStore::load_or_create(
            &self.key_dir,
            auth_server::config::SigningAlg::Rs256,
        )?;
        Ok(keys.signing_key().sign(claims)?)
    }

    /// A verified, enabled user of auth-server; returns its id.
    pub async fn user(&self, email: &str) -> StartResult<String> {
        let user = auth_server::services::users::add_user(
            &self.auth_db,
            email,
            "a long test password",
            true,
        )
        .await?;
        Ok(user.id)
    }

    /// Row count of every idmap linkage table plus `audit_log`, for tests
    /// that check that a refused request wrote nothing.
    pub async fn idmap_counts(&self) -> StartResult<BTreeMap<&'static str, i64>> {
        Ok(self
            .idmap_db_handle
            .run(|c| {
                let mut counts = idmap_server::db::row_counts(c)?;
                counts.insert("audit_log", idmap_server::db::audit::count(c, None)?);
                Ok(counts)
            })
            .await?)
    }

    async fn wait_ready(&self) -> StartResult<()> {
        for _ in 0..200 {
            let r = self
                .http
                .get(format!("{}/health/ready", self.idmap_url))
                .send()
                .await;
            if r.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err("idmap-server did not become ready (JWKS never loaded?)".into())
    }

    /// Registers a partner (if new) and a confidential client of it.
    pub async fn client(
        &self,
        partner: Option<&str>,
        scope: &str,
    ) -> StartResult<(String, String)> {
        if let Some(code) = partner {
            let _ = clients::add_partner(&self.auth_db, code, code).await;
        }
        let created = clients::add_client(
            &self.auth_db,
            &self.hasher,
            NewClient {
                partner: partner.map(str::to_owned),
                scope: scope.to_owned(),
                ..NewClient::default()
            },
        )
        .await?;
        let secret = created
            .client_secret
            .ok_or("confidential client without secret")?;
        Ok((created.client_id, secret))
    }

    /// Client-credentials token over HTTP Basic, as a partner's cron job gets it.
    pub async fn token(&self, id: &str, secret: &str) -> StartResult<String> {
        let r = self
            .http
            .post(format!("{}/oauth/token", self.auth_url))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?;
        let body: Value = r.json().await?;
        Ok(body["access_token"]
            .as_str()
            .ok_or("no access_token")?
            .to_owned())
    }

    /// POSTs JSON to idmap-server with an optional bearer token.
    pub async fn api(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> StartResult<reqwest::Response> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.idmap_url))
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Ok(req.send().await?)
    }
}
