//! Private database servers for the outage tests: a PostgreSQL cluster
//! (`initdb`, `pg_ctl`) or a MariaDB instance (`mariadb-install-db`,
//! `mariadbd`) with its own data directory under a temporary directory and
//! its own free port, so stopping it disturbs no other test.
//!
//! Both refuse to run as root, so under root they run as `nobody` through
//! `setpriv` (util-linux). When the binaries are missing the test is skipped
//! with a notice, or fails under `CI=true`. PostgreSQL binaries are looked
//! for in `IDMAP_TEST_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use idmap_storage::testing::in_ci;
use idmap_web::testing::free_port;

fn skip(what: &str) -> Option<std::convert::Infallible> {
    if in_ci() {
        panic!("{what} is required under CI=true");
    }
    eprintln!("notice: skipping outage test: {what} not found");
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command that runs as `nobody` when the test runs as root.
fn unprivileged(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn private_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if is_root() {
        let ok = Command::new("chown")
            .arg("nobody:nogroup")
            .arg(dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "cannot hand the data directory to nobody");
    }
    dir
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private PostgreSQL cluster.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    /// Creates and starts the cluster, or `None` without the binaries.
    pub fn start() -> Option<Self> {
        let bin = std::env::var_os("IDMAP_TEST_PG_BIN")
            .map(PathBuf::from)
            .or_else(newest_pg_bin)
            .filter(|b| b.join("initdb").exists());
        let Some(bin) = bin else {
            skip("PostgreSQL server binaries (initdb, pg_ctl)")?;
            return None;
        };
        let pg = Self {
            bin,
            dir: private_dir(),
            port: free_port(),
        };
        run(
            unprivileged(&pg.bin.join("initdb"))
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "-D",
                ])
                .arg(pg.data()),
            "initdb",
        );
        pg.up();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(
            unprivileged(&self.bin.join("pg_ctl"))
                .args(["-w", "-t", "60", "-D"])
                .arg(self.data())
                .arg("-l")
                .arg(self.dir.path().join("log"))
                .args(["-o", &options, "start"]),
            "pg_ctl start",
        );
    }

    /// Stops the server, terminating open sessions.
    pub fn down(&self) {
        run(
            unprivileged(&self.bin.join("pg_ctl"))
                .args(["-w", "-m", "fast", "-D"])
                .arg(self.data())
                .arg("stop"),
            "pg_ctl stop",
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = unprivileged(&self.bin.join("pg_ctl"))
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.data())
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn newest_pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

/// A private MariaDB instance.
pub struct PrivateMariadb {
    server: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl PrivateMariadb {
    /// Installs and starts the instance with a database `idmap`, or `None`
    /// without the binaries.
    pub fn start() -> Option<Self> {
        let server = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let install = ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let (Some(server), Some(install)) = (server, install) else {
            skip("MariaDB server binaries (mariadbd, mariadb-install-db)")?;
            return None;
        };
        let mut db = Self {
            server,
            dir: private_dir(),
            port: free_port(),
            child: None,
        };
        run(
            unprivileged(&install)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", db.data().display()))
                .args([
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ]),
            "mariadb-install-db",
        );
        db.up();
        let mut c = diesel::MysqlConnection::establish(&db.admin_url()).unwrap();
        c.batch_execute("CREATE DATABASE idmap CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            .unwrap();
        Some(db)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn admin_url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/mysql", self.port)
    }

    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/idmap", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&mut self) {
        let dir = self.dir.path();
        let child = unprivileged(&self.server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", self.data().display()))
            .arg(format!("--port={}", self.port))
            .arg(format!("--socket={}", dir.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=2",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..240 {
            if diesel::MysqlConnection::establish(&self.admin_url()).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("private MariaDB did not start; see its error.log");
    }

    /// Shuts the server down (SIGTERM) and waits for it to exit.
    pub fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateMariadb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
