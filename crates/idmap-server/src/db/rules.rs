//! The `rules` table and its in-memory cache: validation accepts only
//! registered codes, and reading the table per request would be waste, so
//! the set is kept for a short while and reloaded (also, rate-limited, when
//! a request names a code the cache does not know, so a newly registered
//! rule works at once).

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use idmap_storage::{Database, DbConnection, StorageError};

use super::schema::rules;

/// How long the cached set is used before it is reloaded.
const TTL: Duration = Duration::from_secs(30);
/// At most one reload per this interval because of an unknown code.
const MISS_INTERVAL: Duration = Duration::from_secs(2);

/// Every registered rule code.
pub fn load_codes(conn: &mut DbConnection) -> Result<HashSet<String>, StorageError> {
    Ok(rules::table
        .select(rules::code)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

#[derive(Insertable)]
#[diesel(table_name = rules)]
struct NewRule<'a> {
    code: &'a str,
    description: &'a str,
    created_at: i64,
}

/// Registers a rule code; `false` when it exists already. Checked before the
/// insert so that a duplicate is an answer, not a retried key violation.
pub fn register(
    conn: &mut DbConnection,
    code: &str,
    description: &str,
    now: i64,
) -> Result<bool, StorageError> {
    let exists: i64 = rules::table
        .filter(rules::code.eq(code))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let row = NewRule {
        code,
        description,
        created_at: now,
    };
    super::insert_rows::<_, NewRule<'_>>(conn, rules::table, std::slice::from_ref(&row))?;
    Ok(true)
}

/// Registered rule codes, cached; clones share one cache.
#[derive(Clone)]
pub struct RuleCache {
    db: Database,
    state: Arc<RwLock<Cached>>,
}

struct Cached {
    codes: Arc<HashSet<String>>,
    loaded: Option<Instant>,
}

impl RuleCache {
    /// An empty cache; the first use loads it.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            state: Arc::new(RwLock::new(Cached {
                codes: Arc::new(HashSet::new()),
                loaded: None,
            })),
        }
    }

    /// Forgets the cached set, so the next request reloads it: this
    /// instance accepts a rule registered here at once. Other replicas
    /// reload on the first request naming the unknown code (at most every
    /// `MISS_INTERVAL`) or when their copy expires (`TTL`).
    pub fn invalidate(&self) {
        let mut s = self.state.write().unwrap_or_else(PoisonError::into_inner);
        s.loaded = None;
    }

    /// The current set, reloaded when stale or when it lacks one of `wanted`.
    /// A failed reload keeps the old set (or reports the outage if none).
    pub async fn codes<'a>(
        &self,
        wanted: impl IntoIterator<Item = &'a str>,
    ) -> Result<Arc<HashSet<String>>, StorageError> {
        let (codes, loaded) = {
            let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
            (s.codes.clone(), s.loaded)
        };
        let stale = loaded.is_none_or(|t| t.elapsed() > TTL);
        let missing = loaded.is_some_and(|t| t.elapsed() > MISS_INTERVAL)
            && wanted.into_iter().any(|w| !codes.contains(w));
        if !stale && !missing {
            return Ok(codes);
        }
        match self.db.run(load_codes).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                let mut s = self.state.write().unwrap_or_else(PoisonError::into_inner);
                s.codes = fresh.clone();
                s.loaded = Some(Instant::now());
                Ok(fresh)
            }
            Err(e) if loaded.is_some() => {
                tracing::warn!(error = %e, "cannot reload rule codes; using the cached set");
                Ok(codes)
            }
            Err(e) => Err(e),
        }
    }
}
