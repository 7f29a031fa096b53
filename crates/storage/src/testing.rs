//! Throwaway databases for tests: a fresh SQLite file, or a uniquely named
//! database on the local PostgreSQL or MariaDB server, dropped afterwards.
//!
//! Server URLs come from `IDMAP_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `IDMAP_TEST_MYSQL_URL`
//! (default `mysql://root@127.0.0.1:3306/test`). When a server is absent the
//! test is skipped with a printed notice, except under `CI=true`, where a
//! missing server fails the test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::{Backend, DatabaseUrl};

/// A database that exists for one test; dropped (server backends) or
/// deleted with its directory (SQLite) when this value goes out of scope.
pub struct TestDatabase {
    url: String,
    admin_url: Option<String>,
    name: String,
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database of `backend`, or `None` (after printing why) when
    /// that server is not running outside CI.
    pub fn create(backend: Backend) -> Option<Self> {
        let name = format!("idmap_t_{}", unique_suffix());
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().ok()?;
                let url = format!("sqlite://{}/{name}.db", dir.path().display());
                Some(Self {
                    url,
                    admin_url: None,
                    name,
                    backend,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin = env_or(
                    "IDMAP_TEST_POSTGRES_URL",
                    "postgres://postgres@127.0.0.1:5432/postgres",
                );
                let mut conn = connect_or_skip::<diesel::PgConnection>(&admin, "PostgreSQL")?;
                must(
                    conn.batch_execute(&format!("CREATE DATABASE {name}")),
                    "create test database",
                );
                Some(Self::on_server(admin, name, backend))
            }
            Backend::Mysql => {
                let admin = env_or("IDMAP_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
                let mut conn = connect_or_skip::<diesel::MysqlConnection>(&admin, "MySQL/MariaDB")?;
                must(
                    conn.batch_execute(&format!(
                        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    )),
                    "create test database",
                );
                Some(Self::on_server(admin, name, backend))
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn database_url(&self) -> DatabaseUrl {
        match DatabaseUrl::parse(&self.url) {
            Ok(u) => u,
            Err(e) => panic!("test database URL is invalid: {e}"),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database `name`, created on the server at `admin`.
    fn on_server(admin: String, name: String, backend: Backend) -> Self {
        Self {
            url: replace_db(&admin, &name),
            admin_url: Some(admin),
            name,
            backend,
            _dir: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(admin) = &self.admin_url else { return };
        let sql = match self.backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        let dropped = match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(admin)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(&sql).map_err(|e| e.to_string())),
            _ => diesel::MysqlConnection::establish(admin)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(&sql).map_err(|e| e.to_string())),
        };
        if let Err(e) = dropped {
            eprintln!("note: could not drop test database {}: {e}", self.name);
        }
    }
}

/// The backends to run a backend-generic test on: SQLite always, the
/// servers when reachable (or always under `CI=true`).
pub fn all_backends() -> impl Iterator<Item = TestDatabase> {
    [Backend::Sqlite, Backend::Postgres, Backend::Mysql]
        .into_iter()
        .filter_map(TestDatabase::create)
}

/// A tmpfs of a given size mounted on a fresh directory, to fill a disk
/// under a database; unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (after a notice) when mounting is not allowed, outside CI.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            assert!(!in_ci(), "mounting a tmpfs is required under CI=true");
            eprintln!("notice: skipping full-disk test: cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(Self { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a filler file until the file system is full.
    pub fn fill(&self) {
        let mut f = std::fs::File::create(self.filler())
            .unwrap_or_else(|e| panic!("creating the filler file: {e}"));
        for chunk in [vec![0u8; 256 * 1024], vec![0u8; 4096], vec![0u8; 512]] {
            while f.write_all(&chunk).is_ok() {}
        }
    }

    /// Removes the filler file.
    pub fn free(&self) {
        std::fs::remove_file(self.filler())
            .unwrap_or_else(|e| panic!("removing the filler file: {e}"));
    }

    fn filler(&self) -> PathBuf {
        self.path().join("filler")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a server under test may still hold files open.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A server binary run with arguments and variables; its output.
pub type RunBinary<'a> = &'a dyn Fn(&[&str], &[(&str, &str)]) -> Output;

/// What a server binary's `migrate` does with a SQLite URL (in
/// `url_var`) whose directory is mistyped: exit 1 with one line naming the
/// path, and create nothing.
pub fn assert_mistyped_sqlite_directory_refused(run: RunBinary<'_>, url_var: &str, file: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
    let url = format!("sqlite://{}/dtaa/{file}", dir.path().display());
    let out = run(&["migrate"], &[(url_var, &url)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ")
            && err.contains(&format!("dtaa/{file}"))
            && err.contains("does not exist"),
        "{err}"
    );
    assert!(!dir.path().join("dtaa").exists());
}

/// A server binary's `migrate` logs the SQLite file it opens, without
/// colour codes when stderr is a pipe.
pub fn assert_logs_name_the_database_file(run: RunBinary<'_>, url_var: &str, file: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
    let path = dir.path().join(file);
    let url = format!("sqlite://{}", path.display());
    let out = run(&["migrate"], &[(url_var, &url), ("RUST_LOG", "info")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(path.exists());
    let line = err
        .lines()
        .find(|l| l.contains(" database"))
        .unwrap_or_default();
    assert!(line.contains(&path.display().to_string()), "{err}");
    assert!(!err.contains('\u{1b}'), "colour codes in a pipe: {err:?}");
}

/// Whether a missing database server must fail the run instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn connect_or_skip<C: Connection>(url: &str, what: &str) -> Option<C> {
    match C::establish(url) {
        Ok(c) => Some(c),
        Err(e) if in_ci() => panic!("{what} is required under CI=true but not reachable: {e}"),
        Err(e) => {
            eprintln!("notice: skipping {what} test: server not reachable ({e})");
            None
        }
    }
}

fn must<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

fn replace_db(url: &str, name: &str) -> String {
    match url.rfind('/') {
        Some(i) if i > url.find("//").map_or(0, |j| j + 1) => {
            let (base, rest) = url.split_at(i);
            let query = rest.find('?').map_or("", |q| &rest[q..]);
            format!("{base}/{name}{query}")
        }
        _ => format!("{url}/{name}"),
    }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::replace_db;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            replace_db("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            replace_db("mysql://root@h:3306/test?ssl=0", "x"),
            "mysql://root@h:3306/x?ssl=0"
        );
    }
}
