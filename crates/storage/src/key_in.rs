//! `column IN (...)` in a fixed shape, so that the small reads of every
//! link request are prepared once per connection instead of parsed again
//! each time. diesel does not cache `eq_any` statements on SQLite and
//! MySQL (the bind count varies). Small key sets are padded there with
//! their last key to the next power of two (`x IN (a, b, b, b)` is
//! `x IN (a, b)`), which bounds the cached shapes; larger sets keep
//! `eq_any`, whose parse cost is spread over many keys and whose
//! statements would be large to keep. PostgreSQL always gets `eq_any`,
//! which is `= ANY($1)` there: one array parameter, one shape already.
//! The filter renders only for the concrete backends, so it runs through
//! [`crate::query::load_rows`].

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::mysql::Mysql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, SingleValue};
use diesel::sqlite::Sqlite;

/// Largest key set sent in a cached shape (nine shapes: 1, 2, 4, ... 256):
/// a request of 100 patients probes 200 hashes and 100 refs, and preparing
/// those reads afresh took 6.5% of its instructions on SQLite.
pub const CACHED_UP_TO: usize = 256;

/// The filter `column IN keys`; `eq_any` is `ExpressionMethods::eq_any`,
/// passed in because diesel does not export the bound it needs.
pub fn key_in<C, K, L>(
    column: C,
    keys: Vec<K>,
    eq_any: impl FnOnce(C, Vec<K>) -> L,
) -> KeyIn<C, K, L>
where
    C: Copy,
    K: Clone,
{
    let padded = (keys.len() <= CACHED_UP_TO).then(|| {
        let mut padded = keys.clone();
        if let Some(last) = keys.last() {
            padded.resize(keys.len().next_power_of_two(), last.clone());
        }
        padded
    });
    KeyIn {
        column,
        padded,
        eq_any: eq_any(column, keys),
    }
}

/// See [`key_in`].
#[derive(Debug, Clone)]
pub struct KeyIn<C, K, L> {
    column: C,
    /// The keys in their fixed shape; `None` for large sets.
    padded: Option<Vec<K>>,
    eq_any: L,
}

impl<C, K, L> Expression for KeyIn<C, K, L>
where
    L: Expression,
{
    // `Bool`, or `Nullable<Bool>` on a nullable column, as `eq_any` says.
    type SqlType = L::SqlType;
}

impl<C, K, L, QS> AppearsOnTable<QS> for KeyIn<C, K, L>
where
    C: AppearsOnTable<QS>,
    L: AppearsOnTable<QS>,
    Self: Expression,
{
}

impl<C, K, L, QS> SelectableExpression<QS> for KeyIn<C, K, L>
where
    C: SelectableExpression<QS>,
    L: SelectableExpression<QS>,
    Self: AppearsOnTable<QS>,
{
}

impl<C, K, L, GB> ValidGrouping<GB> for KeyIn<C, K, L>
where
    L: ValidGrouping<GB>,
{
    type IsAggregate = L::IsAggregate;
}

impl<C, K, L> QueryId for KeyIn<C, K, L> {
    type QueryId = ();
    // The SQL text, not the type, names the statement in diesel's cache.
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// The backends that get the padded list.
pub trait PaddedList: Backend {}
impl PaddedList for Sqlite {}
impl PaddedList for Mysql {}

impl<C, K, L, DB> QueryFragment<DB> for KeyIn<C, K, L>
where
    DB: PaddedList + HasSqlType<C::SqlType>,
    C: Expression + QueryFragment<DB>,
    C::SqlType: SingleValue,
    K: ToSql<C::SqlType, DB>,
    L: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        match &self.padded {
            None => self.eq_any.walk_ast(out),
            Some(keys) if keys.is_empty() => {
                out.push_sql("1 = 0");
                Ok(())
            }
            Some(keys) => {
                self.column.walk_ast(out.reborrow())?;
                out.push_sql(" IN (");
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<C::SqlType, K>(key)?;
                }
                out.push_sql(")");
                Ok(())
            }
        }
    }
}

/// With a list of parameters, PostgreSQL's planner (its statistics not yet
/// gathered after a bulk load) scanned all of a partner's refs for each
/// probe: link x100 fell from 300 to 25 requests/s.
impl<C, K, L> QueryFragment<Pg> for KeyIn<C, K, L>
where
    L: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.eq_any.walk_ast(out)
    }
}

#[cfg(test)]
mod tests {
    use diesel::debug_query;
    use diesel::sqlite::Sqlite;

    use super::*;

    diesel::table! {
        bindings (hash) {
            hash -> Binary,
            uuid -> Binary,
        }
    }

    fn sql(keys: Vec<&[u8]>) -> String {
        let query = bindings::table
            .filter(key_in(bindings::hash, keys, ExpressionMethods::eq_any))
            .select(bindings::uuid);
        debug_query::<Sqlite, _>(&query).to_string()
    }

    fn placeholders(sql: &str) -> usize {
        sql.split(" -- binds:")
            .next()
            .unwrap_or("")
            .matches('?')
            .count()
    }

    /// One more distinct key than the largest cached shape holds.
    fn distinct_keys() -> Vec<Vec<u8>> {
        (0..=CACHED_UP_TO)
            .map(|i| i.to_be_bytes().to_vec())
            .collect()
    }

    #[test]
    fn small_sets_are_padded_to_a_power_of_two() {
        let (a, b, c): (&[u8], &[u8], &[u8]) = (b"a", b"b", b"c");
        assert_eq!(placeholders(&sql(vec![a])), 1);
        assert_eq!(placeholders(&sql(vec![a, b])), 2);
        let three = sql(vec![a, b, c]);
        assert_eq!(placeholders(&three), 4);
        assert!(three.ends_with("[[97], [98], [99], [99]]"), "{three}");
    }

    #[test]
    fn shapes_are_bounded_and_large_sets_keep_eq_any() {
        let keys = distinct_keys();
        let refs = |n: usize| keys[..n].iter().map(Vec::as_slice).collect::<Vec<_>>();
        let shapes: std::collections::BTreeSet<usize> = (1..=CACHED_UP_TO)
            .map(|n| placeholders(&sql(refs(n))))
            .collect();
        assert_eq!(
            shapes.into_iter().collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 64, 128, 256]
        );
        assert_eq!(placeholders(&sql(refs(CACHED_UP_TO + 1))), CACHED_UP_TO + 1);
    }

    #[test]
    fn no_keys_match_nothing() {
        assert!(sql(Vec::new()).contains("1 = 0"));
    }

    #[test]
    fn postgres_keeps_one_array_parameter() {
        let (a, b, c): (&[u8], &[u8], &[u8]) = (b"a", b"b", b"c");
        let query = bindings::table
            .filter(key_in(
                bindings::hash,
                vec![a, b, c],
                ExpressionMethods::eq_any,
            ))
            .select(bindings::uuid);
        let sql = debug_query::<Pg, _>(&query).to_string();
        assert!(sql.contains("= ANY($1)"), "{sql}");
    }

    #[test]
    fn only_small_sets_are_cacheable() {
        use diesel::query_builder::QueryFragment;
        let keys = distinct_keys();
        let filter = |n: usize| {
            let k = keys[..n].iter().map(Vec::as_slice).collect::<Vec<_>>();
            key_in(bindings::hash, k, ExpressionMethods::eq_any)
        };
        let cacheable = |n| filter(n).is_safe_to_cache_prepared(&Sqlite).unwrap();
        assert!(cacheable(3));
        assert!(cacheable(CACHED_UP_TO));
        assert!(!cacheable(CACHED_UP_TO + 1));
    }
}
