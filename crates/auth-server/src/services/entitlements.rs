//! Entitlements: which user may hold a scope that reaches patient data
//! (`idmap:read`, `idmap:admin`) in a user-facing grant. An operator grants
//! one to a user or to a partner's group (created on first use, as for
//! members) through the admin CLI or API, and withdraws it by id. The
//! grants read what a user holds when the authorization request arrives,
//! when the code is exchanged and at every refresh.

use idmap_common::ids::PartnerCode;
use idmap_storage::{Database, DbConnection, StorageError};
use serde::Serialize;
use utoipa::ToSchema;

use super::clients::AdminError;
use crate::db::entitlements::{self as db_ent, EntitlementRow};
use crate::db::{groups as db_groups, partners, users as db_users};
use crate::domain::entitlements::parse_scope;
use crate::domain::scopes::Scope;
use idmap_common::clock::now_unix;

/// Who an entitlement is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A user, by id or e-mail address.
    User(String),
    /// The group of a partner's staff, by partner code.
    Partner(String),
}

/// An entitlement as shown to an operator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntitlementView {
    pub id: String,
    pub scope: String,
    /// Set for an entitlement of one user.
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    /// Set for an entitlement of a partner's group (every member holds it).
    pub partner: Option<String>,
    pub created_at: i64,
}

/// Entitles `holder` to `scope`; `Ok((view, false))` when it already was.
pub async fn grant(
    db: &Database,
    holder: Holder,
    scope: &str,
) -> Result<(EntitlementView, bool), AdminError> {
    let scope = parse_scope(scope).map_err(AdminError::Invalid)?;
    let holder = match holder {
        Holder::User(u) => Holder::User(u.trim().to_lowercase()),
        Holder::Partner(p) => Holder::Partner(
            PartnerCode::parse(&p)
                .map_err(|e| AdminError::Invalid(format!("partner code {e}")))?
                .as_str()
                .to_owned(),
        ),
    };
    let out = db
        .transaction(move |c| {
            let now = now_unix();
            let (user, group) = match &holder {
                Holder::User(key) => match db_users::find_by_id_or_email(c, key)? {
                    Some(u) => (Some(u.id), None),
                    None => return Ok(Err(format!("no user {key}"))),
                },
                Holder::Partner(code) => {
                    let Some(p) = partners::list(c)?.into_iter().find(|p| &p.code == code) else {
                        return Ok(Err(format!("unknown partner {code}")));
                    };
                    (
                        None,
                        Some(db_groups::find_or_create(c, code, &p.name, now)?.id),
                    )
                }
            };
            let existing = db_ent::find_for(c, user.as_deref(), group.as_deref(), scope.as_str())?;
            let (row, created) = match existing {
                Some(row) => (row, false),
                None => {
                    let row = EntitlementRow {
                        id: uuid::Uuid::new_v4().to_string(),
                        user_id: user,
                        group_id: group,
                        scope: scope.as_str().to_owned(),
                        created_at: now,
                    };
                    db_ent::insert(c, &row)?;
                    (row, true)
                }
            };
            Ok(Ok((view(c, row)?, created)))
        })
        .await?;
    out.map_err(AdminError::NotFound)
}

/// Withdraws one entitlement. Tokens already issued keep their scope
/// until they expire; the next refresh drops it.
pub async fn revoke(db: &Database, id: &str) -> Result<(), AdminError> {
    let key = id.to_owned();
    if db
        .transaction(move |c| Ok(db_ent::delete(c, &key)?))
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no entitlement {id}")))
    }
}

/// Every entitlement, oldest first.
pub async fn list(db: &Database) -> Result<Vec<EntitlementView>, AdminError> {
    Ok(db
        .run(|c| {
            db_ent::list(c)?
                .into_iter()
                .map(|row| view(c, row))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?)
}

/// The entitled scopes of a user (through groups too); stored names this
/// version does not know are skipped.
pub fn held(conn: &mut DbConnection, user_id: &str) -> Result<Vec<Scope>, StorageError> {
    Ok(db_ent::scopes_of_user(conn, user_id)?
        .iter()
        .filter_map(|s| Scope::parse(s).ok())
        .collect())
}

/// [`held`], on its own trip to the database.
pub async fn held_by(db: &Database, user_id: &str) -> Result<Vec<Scope>, StorageError> {
    let id = user_id.to_owned();
    db.run(move |c| held(c, &id)).await
}

fn view(c: &mut DbConnection, row: EntitlementRow) -> Result<EntitlementView, StorageError> {
    let user_email = match &row.user_id {
        Some(id) => db_users::find(c, id)?.map(|u| u.email),
        None => None,
    };
    let partner = match &row.group_id {
        Some(id) => db_groups::find(c, id)?.map(|g| g.partner_code),
        None => None,
    };
    Ok(EntitlementView {
        id: row.id,
        scope: row.scope,
        user_id: row.user_id,
        user_email,
        partner,
        created_at: row.created_at,
    })
}
