//! Groups of partner staff: one group per partner, created on first use,
//! each member with a role (`member` or `partner_admin`). Operators add
//! members through the admin CLI and API; the resource API shows a user
//! their own groups.

use idmap_common::ids::PartnerCode;
use idmap_storage::{Database, StorageError};
use serde::Serialize;
use utoipa::ToSchema;

use super::clients::AdminError;
use crate::db::groups::{self as db_groups, MemberRow};
use crate::db::{partners, users};
use idmap_common::clock::now_unix;

/// The role of a member in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    PartnerAdmin,
}

impl Role {
    /// `member` or `partner_admin`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "partner_admin" | "partner-admin" => Some(Self::PartnerAdmin),
            _ => None,
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::PartnerAdmin => "partner_admin",
        }
    }
}

/// A group a user belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipView {
    pub id: String,
    pub name: String,
    pub partner: String,
    pub role: String,
}

/// A group with its members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub partner: String,
    pub members: Vec<MemberView>,
}

/// One member as shown to other members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub role: String,
}

/// The groups of a user.
pub async fn of_user(db: &Database, user_id: &str) -> Result<Vec<MembershipView>, StorageError> {
    let id = user_id.to_owned();
    let rows = db.run(move |c| Ok(db_groups::of_user(c, &id)?)).await?;
    Ok(rows
        .into_iter()
        .map(|(g, role)| MembershipView {
            id: g.id,
            name: g.name,
            partner: g.partner_code,
            role,
        })
        .collect())
}

/// A group with its members, if `viewer` belongs to it (`None` otherwise,
/// whether or not it exists).
pub async fn visible_group(
    db: &Database,
    viewer: &str,
    group_id: &str,
) -> Result<Option<GroupView>, StorageError> {
    let (viewer, gid) = (viewer.to_owned(), group_id.to_owned());
    db.run(move |c| {
        let Some(group) = db_groups::find(c, &gid)? else {
            return Ok(None);
        };
        let members = db_groups::members(c, &gid)?;
        if !members.iter().any(|(uid, _, _)| *uid == viewer) {
            return Ok(None);
        }
        Ok(Some(GroupView {
            id: group.id,
            name: group.name,
            partner: group.partner_code,
            members: members
                .into_iter()
                .map(|(user_id, email, role)| MemberView {
                    user_id,
                    email,
                    role,
                })
                .collect(),
        }))
    })
    .await
}

/// Adds a user (by id or e-mail) to the group of `partner` with `role`,
/// creating the group on first use; a second call changes the role.
pub async fn add_member(
    db: &Database,
    partner: &str,
    user: &str,
    role: &str,
) -> Result<MembershipView, AdminError> {
    let code = PartnerCode::parse(partner)
        .map_err(|e| AdminError::Invalid(format!("partner code {e}")))?;
    let role = Role::parse(role)
        .ok_or_else(|| AdminError::Invalid("role must be member or partner_admin".into()))?;
    let (code, user) = (code.as_str().to_owned(), user.trim().to_lowercase());
    let out = db
        .transaction(move |c| {
            let Some(p) = partners::list(c)?.into_iter().find(|p| p.code == code) else {
                return Ok(Err(format!("unknown partner {code}")));
            };
            let Some(u) = users::find_by_id_or_email(c, &user)? else {
                return Ok(Err(format!("no user {user}")));
            };
            let now = now_unix();
            let group = db_groups::find_or_create(c, &code, &p.name, now)?;
            db_groups::put_member(
                c,
                &MemberRow {
                    user_id: u.id,
                    group_id: group.id.clone(),
                    role: role.as_str().to_owned(),
                    created_at: now,
                },
            )?;
            Ok(Ok(MembershipView {
                id: group.id,
                name: group.name,
                partner: group.partner_code,
                role: role.as_str().to_owned(),
            }))
        })
        .await?;
    out.map_err(AdminError::NotFound)
}
