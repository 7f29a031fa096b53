//! The `rules` table and its in-memory cache: validation accepts only
//! registered codes, and reading the table per request would be waste, so
//! the set is kept for a short while and reloaded (also, rate-limited, when
//! a request names a code the cache does not know, so a newly registered
//! rule works at once).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use idmap_storage::{Database, DbConnection, StorageError};

use idmap_common::ids::RuleCode;
use serde::Serialize;

use super::schema::rules;
use crate::domain::evidence::RuleWeight;

/// How long the cached set is used before it is reloaded.
const TTL: Duration = Duration::from_secs(30);
/// At most one reload per this interval because of an unknown code.
const MISS_INTERVAL: Duration = Duration::from_secs(2);

/// Priority given to a registered rule that names none: after the
/// built-ins (10 to 60).
pub const DEFAULT_PRIORITY: i32 = 1000;

/// A rule as admins read and write it.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, utoipa::ToSchema)]
pub struct Rule {
    pub code: String,
    pub description: String,
    /// Lower first; breaks ties in the evidence decision.
    pub priority: i32,
    /// Fellegi-Sunter m: how often true matches agree on this rule.
    pub m: Option<f64>,
    /// Fellegi-Sunter u: how often non-matches agree on this rule.
    pub u: Option<f64>,
}

const COLUMNS: (
    rules::code,
    rules::description,
    rules::priority,
    rules::m,
    rules::u,
) = (
    rules::code,
    rules::description,
    rules::priority,
    rules::m,
    rules::u,
);

/// Every registered rule.
pub fn load_all(conn: &mut DbConnection) -> Result<Vec<Rule>, StorageError> {
    Ok(rules::table
        .order(rules::code.asc())
        .select(COLUMNS)
        .load(conn)?)
}

/// One rule by code.
pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Rule>, StorageError> {
    Ok(rules::table
        .filter(rules::code.eq(code))
        .select(COLUMNS)
        .first(conn)
        .optional()?)
}

#[derive(Insertable)]
#[diesel(table_name = rules, treat_none_as_default_value = false)]
struct NewRule<'a> {
    code: &'a str,
    description: &'a str,
    created_at: i64,
    priority: i32,
    m: Option<f64>,
    u: Option<f64>,
}

/// Registers a rule; `false` when it exists already. Checked before the
/// insert so that a duplicate is an answer, not a retried key violation.
pub fn register(conn: &mut DbConnection, rule: &Rule, now: i64) -> Result<bool, StorageError> {
    if by_code(conn, &rule.code)?.is_some() {
        return Ok(false);
    }
    let row = NewRule {
        code: &rule.code,
        description: &rule.description,
        created_at: now,
        priority: rule.priority,
        m: rule.m,
        u: rule.u,
    };
    super::insert_rows::<_, NewRule<'_>>(conn, rules::table, std::slice::from_ref(&row))?;
    Ok(true)
}

/// Sets a rule's priority and weights (each `None` keeps the stored value);
/// `false` when the rule does not exist.
pub fn update(
    conn: &mut DbConnection,
    code: &str,
    priority: Option<i32>,
    weights: Option<(f64, f64)>,
) -> Result<bool, StorageError> {
    if by_code(conn, code)?.is_none() {
        return Ok(false);
    }
    if let Some(p) = priority {
        diesel::update(rules::table.filter(rules::code.eq(code)))
            .set(rules::priority.eq(p))
            .execute(conn)?;
    }
    if let Some((m, u)) = weights {
        diesel::update(rules::table.filter(rules::code.eq(code)))
            .set((rules::m.eq(Some(m)), rules::u.eq(Some(u))))
            .execute(conn)?;
    }
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
    weights: Arc<HashMap<RuleCode, RuleWeight>>,
    loaded: Option<Instant>,
}

impl RuleCache {
    /// An empty cache; the first use loads it.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            state: Arc::new(RwLock::new(Cached {
                codes: Arc::new(HashSet::new()),
                weights: Arc::new(HashMap::new()),
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
        match self.db.run(load_all).await {
            Ok(rows) => {
                let fresh: Arc<HashSet<String>> =
                    Arc::new(rows.iter().map(|r| r.code.clone()).collect());
                let weights = rows
                    .iter()
                    .filter_map(|r| {
                        let code = RuleCode::parse(&r.code).ok()?;
                        Some((code, RuleWeight::new(r.priority, r.m, r.u)))
                    })
                    .collect();
                let mut s = self.state.write().unwrap_or_else(PoisonError::into_inner);
                s.codes = fresh.clone();
                s.weights = Arc::new(weights);
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

    /// Priority and weights per rule, as of the last load of
    /// [`Self::codes`] (which every link request makes first).
    pub fn weights(&self) -> Arc<HashMap<RuleCode, RuleWeight>> {
        let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
        s.weights.clone()
    }
}
