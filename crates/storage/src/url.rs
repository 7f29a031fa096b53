//! Database URLs: the scheme picks the backend, and the password never
//! reaches a log through `Debug` or `Display`.

use std::fmt;
use std::path::PathBuf;

use crate::{Result, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }
}

/// A validated `sqlite://`, `postgres://` (or `postgresql://`) or `mysql://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    raw: String,
}

impl DatabaseUrl {
    /// `sqlite://relative/path.db` is relative to the working directory,
    /// `sqlite:///absolute/path.db` is absolute; other schemes are refused.
    pub fn parse(s: &str) -> Result<Self> {
        let backend = if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() || path == ":memory:" {
                return Err(StorageError::Config(
                    "sqlite URL needs a file path (sqlite://data/app.db)".into(),
                ));
            }
            Backend::Sqlite
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Backend::Postgres
        } else if s.starts_with("mysql://") {
            Backend::Mysql
        } else {
            return Err(StorageError::Config(
                "database URL must start with sqlite://, postgres:// or mysql://".into(),
            ));
        };
        if backend != Backend::Sqlite {
            ::url::Url::parse(s)
                .map_err(|e| StorageError::Config(format!("malformed database URL: {e}")))?;
        }
        Ok(Self {
            backend,
            raw: s.to_owned(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The file of a SQLite URL; `None` for server backends.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.raw.strip_prefix("sqlite://").map(PathBuf::from)
    }

    /// Where the data lives, for the start-up log: a SQLite file as an
    /// absolute path (a relative URL depends on the working directory),
    /// a server URL without its password.
    pub fn location(&self) -> String {
        match self.sqlite_path() {
            Some(path) => std::path::absolute(&path)
                .unwrap_or(path)
                .display()
                .to_string(),
            None => self.redacted(),
        }
    }

    /// Refuses a SQLite file whose directory does not exist: SQLite would
    /// create the file, but a missing directory is a mistyped path more
    /// often than a first start, and an empty database in the wrong place
    /// looks like lost data.
    pub fn check_sqlite_directory(&self) -> Result<()> {
        let Some(path) = self.sqlite_path() else {
            return Ok(());
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.is_dir() {
            return Ok(());
        }
        Err(StorageError::Config(format!(
            "the directory of the SQLite database {} does not exist ({}); \
             create it or correct the database URL",
            path.display(),
            std::path::absolute(&dir).unwrap_or(dir).display()
        )))
    }

    /// The full URL including credentials, for the driver only.
    pub(crate) fn expose(&self) -> &str {
        &self.raw
    }

    /// The URL with any password replaced, safe to log.
    pub fn redacted(&self) -> String {
        match ::url::Url::parse(&self.raw) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.raw.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_backend() {
        let s = DatabaseUrl::parse("sqlite://data/idmap.db").unwrap();
        assert_eq!(s.backend(), Backend::Sqlite);
        assert_eq!(s.sqlite_path().unwrap(), PathBuf::from("data/idmap.db"));
        let abs = DatabaseUrl::parse("sqlite:///var/lib/idmap.db").unwrap();
        assert_eq!(
            abs.sqlite_path().unwrap(),
            PathBuf::from("/var/lib/idmap.db")
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("mysql://root@127.0.0.1/test")
                .unwrap()
                .backend(),
            Backend::Mysql
        );
    }

    #[test]
    fn other_schemes_and_memory_are_refused() {
        assert!(DatabaseUrl::parse("redis://x").is_err());
        assert!(DatabaseUrl::parse("data/idmap.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn a_sqlite_file_needs_an_existing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let ok = DatabaseUrl::parse(&format!("sqlite://{}/new.db", dir.path().display())).unwrap();
        assert!(ok.check_sqlite_directory().is_ok());
        assert!(ok.location().ends_with("new.db"));
        let typo = format!("sqlite://{}/dtaa/new.db", dir.path().display());
        let err = DatabaseUrl::parse(&typo)
            .unwrap()
            .check_sqlite_directory()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dtaa/new.db") && err.contains("does not exist"),
            "{err}"
        );
        assert!(!dir.path().join("dtaa").exists());
        let relative = DatabaseUrl::parse("sqlite://here.db").unwrap();
        assert!(relative.check_sqlite_directory().is_ok());
        assert!(std::path::Path::new(&relative.location()).is_absolute());
        let pg = DatabaseUrl::parse("postgres://u:pw@db/x").unwrap();
        assert!(pg.check_sqlite_directory().is_ok());
        assert!(!pg.location().contains("pw"));
    }

    #[test]
    fn password_is_hidden() {
        let u = DatabaseUrl::parse("postgres://idmap:s3cret@db:5432/idmap").unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(!u.to_string().contains("s3cret"));
        assert!(u.expose().contains("s3cret"));
    }
}
