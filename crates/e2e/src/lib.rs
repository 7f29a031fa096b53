//! A running pair of real services for end-to-end tests: auth-server on a
//! free port with its issuer URL pointing at itself, and idmap-server that
//! discovers the JWKS through that issuer's metadata, as in production;
//! and what tests that run the services otherwise (as child processes, or
//! auth-server alone) share with it: a free port, a child's output, a
//! client-credentials token.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
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
    auth: AuthServer,
    idmap_db_handle: Database,
    _dir: tempfile::TempDir,
    _idmap_db: TestDatabase,
}

/// Failure while starting the system; tests unwrap it.
pub type StartResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A port free on the loopback interface a moment ago.
pub fn free_port() -> StartResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs `cmd` with `stdin` as its standard input and collects its output.
/// A child that exits before reading all of it (one that refuses its
/// arguments, say) is no error here: its exit status tells.
pub fn output_with_stdin(cmd: &mut Command, stdin: &[u8]) -> std::io::Result<Output> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        match input.write_all(stdin) {
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err),
            _ => {}
        }
    }
    child.wait_with_output()
}

/// auth-server running in-process, with the handles tests use to register
/// clients and users directly in its database.
pub struct AuthServer {
    /// The port it listens on.
    pub port: u16,
    /// Its database.
    pub db: Database,
    /// How it hashes client secrets.
    pub hasher: Arc<SecretHasher>,
    /// Its signing-key directory (`signing-<seq>.pem`, PKCS#8).
    pub key_dir: PathBuf,
}

impl AuthServer {
    /// Starts auth-server listening on `listen` as `issuer`, with its
    /// database and signing keys in `dir` and `extra` settings on top.
    pub async fn start(
        dir: &Path,
        listen: &str,
        issuer: &str,
        extra: Vec<(String, String)>,
    ) -> StartResult<Self> {
        let mut vars = env(&[
            ("AUTH_LISTEN", listen.to_owned()),
            ("AUTH_ISSUER", issuer.to_owned()),
            (
                "AUTH_DATABASE_URL",
                format!("sqlite://{}", dir.join("auth.db").display()),
            ),
            (
                "AUTH_SIGNING_KEY_DIR",
                dir.join("keys").display().to_string(),
            ),
        ]);
        vars.extend(extra);
        let settings = auth_server::config::Settings::load(None, &vars)?;
        let app = auth_server::startup::Application::build(&settings).await?;
        let port = app.port();
        tokio::spawn(app.run_without_signal_handlers());
        Ok(Self {
            port,
            db: auth_server::startup::open_database(&settings).await?,
            hasher: auth_server::startup::load_secret_hasher(&settings).await?,
            key_dir: dir.join("keys"),
        })
    }

    /// Registers a confidential client (of `partner`, which must exist, if
    /// any); returns its id and secret.
    pub async fn add_client(
        &self,
        partner: Option<&str>,
        scope: &str,
    ) -> StartResult<(String, String)> {
        let created = clients::add_client(
            &self.db,
            &self.hasher,
            NewClient::confidential(partner, scope),
        )
        .await?;
        let secret = created
            .client_secret
            .ok_or("confidential client without secret")?;
        Ok((created.client_id, secret))
    }
}

/// The client-credentials request of a partner's cron job: the client's
/// id and secret over HTTP Basic to the token endpoint of `auth_url`.
pub async fn request_token(
    http: &reqwest::Client,
    auth_url: &str,
    id: &str,
    secret: &str,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{auth_url}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
}

/// The access token `request_token` is answered with.
pub async fn access_token(
    http: &reqwest::Client,
    auth_url: &str,
    id: &str,
    secret: &str,
) -> StartResult<String> {
    let body: Value = request_token(http, auth_url, id, secret)
        .await?
        .json()
        .await?;
    Ok(body["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_owned())
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
        let listen = format!("127.0.0.1:{port}");
        let auth = AuthServer::start(dir.path(), &listen, &auth_url, extra.auth_env).await?;

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
            auth,
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
        &self.auth.key_dir
    }

    /// Signs `claims` with auth-server's current signing key and its usual
    /// header, for tokens auth-server would never issue (expired, for
    /// another audience, lacking a claim).
    pub fn sign(&self, claims: &Value) -> StartResult<String> {
        // The directory already holds auth-server's keys: nothing is created.
        let keys = auth_server::keys::KeyStore::load_or_create(
            &self.auth.key_dir,
            auth_server::config::SigningAlg::Rs256,
        )?;
        Ok(keys.signing_key().sign(claims)?)
    }

    /// A verified, enabled user of auth-server; returns its id.
    pub async fn user(&self, email: &str) -> StartResult<String> {
        let user = auth_server::services::users::add_user(
            &self.auth.db,
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
            let _ = clients::add_partner(&self.auth.db, code, code).await;
        }
        self.auth.add_client(partner, scope).await
    }

    /// Client-credentials token over HTTP Basic, as a partner's cron job gets it.
    pub async fn token(&self, id: &str, secret: &str) -> StartResult<String> {
        access_token(&self.http, &self.auth_url, id, secret).await
    }

    /// A token of a new client, for tests that need nothing else of it.
    pub async fn client_token(&self, partner: Option<&str>, scope: &str) -> StartResult<String> {
        let (id, secret) = self.client(partner, scope).await?;
        self.token(&id, &secret).await
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

    /// The status `api` is answered with.
    pub async fn api_status(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> StartResult<u16> {
        Ok(self.api(path, token, body).await?.status().as_u16())
    }
}
