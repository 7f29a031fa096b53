//! Linkage administration under `/api/v1/admin/` (scope `idmap:admin`):
//! conflicts, merges, UUIDs, rules, ambiguous hashes, linkage settings,
//! statistics and the audit log. Under
//! `/api/` so that nginx routes it here; `/admin/` belongs to auth-server.
//! Lists are paginated by id: `?after=<last id seen>&limit=<1..1000>`,
//! answered as `{"items": [...], "next_after": <id or null>}`.

pub mod ambiguous;
pub mod audit;
pub mod config;
pub mod conflicts;
pub mod merges;
pub mod rules;
pub mod stats;
pub mod uuids;

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev, web};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Authorized};
use crate::error::ApiError;
use crate::routes::call::Call;

/// Registers every admin route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    conflicts::configure(cfg);
    ambiguous::configure(cfg);
    config::configure(cfg);
    merges::configure(cfg);
    uuids::configure(cfg);
    rules::configure(cfg);
    stats::configure(cfg);
    audit::configure(cfg);
}

/// A call of an administrator that takes a body.
pub type AdminCall = Call<Authorized<auth::Admin>>;

/// Default and largest page size.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

/// `?after=&limit=` of every list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    pub after: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
    /// Only for conflicts: `open` (default) or `resolved`.
    #[serde(default)]
    pub status: Option<String>,
    /// Only for ambiguous hashes: the causing partner.
    #[serde(default)]
    pub partner: Option<String>,
}

impl PageQuery {
    /// Parsed by [`Listing`] rather than by `web::Query`, so that a bad
    /// query string answers the JSON envelope after the token was checked.
    pub fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        let q = web::Query::<Self>::from_query(req.query_string())
            .map_err(|e| ApiError::BadRequest(format!("invalid query string: {e}")))?
            .into_inner();
        if q.limit.is_some_and(|l| !(1..=MAX_LIMIT).contains(&l)) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        Ok(q)
    }

    /// Refuses the filters of other lists.
    pub fn only_paging(&self) -> Result<(), ApiError> {
        if self.status.is_some() || self.partner.is_some() {
            return Err(ApiError::BadRequest(
                "this list takes only after and limit".into(),
            ));
        }
        Ok(())
    }

    pub fn after(&self) -> i64 {
        self.after.unwrap_or(0)
    }

    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }
}

/// A request for a page of a list by a `W` (`Authorized<S>` or
/// `Partner`): the query is parsed once the caller passed, so that a bad
/// query string answers after the token was checked.
pub struct Listing<W> {
    pub caller: W,
    pub page: PageQuery,
}

impl<W> FromRequest for Listing<W>
where
    W: FromRequest<Error = ApiError> + 'static,
    W::Future: 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let caller = W::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let caller = caller.await?;
            let page = PageQuery::parse(&req)?;
            Ok(Self { caller, page })
        })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageResponse<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `null` on the last one.
    pub next_after: Option<i64>,
}

impl<T> PageResponse<T> {
    /// `id` gives an item's id; a short page is the last.
    pub fn new(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Self {
        let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= limit;
        let next_after = if full { items.last().map(id) } else { None };
        Self { items, next_after }
    }
}
