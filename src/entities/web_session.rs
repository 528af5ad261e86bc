//! The `web_sessions` table: signed-in staff sessions of the web console, keyed by a digest of the cookie.

use sea_orm::entity::prelude::*;

/// One row of `web_sessions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_sessions")]
pub struct Model {
    /// Digest of the session id in the cookie; the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_digest: String,
    /// The staff member signed in.
    pub staff_id: i64,
    /// CSRF token bound to the session.
    pub csrf_token: String,
    /// When the session began.
    pub created_at: DateTimeUtc,
    /// When the session was last used.
    pub last_seen_at: DateTimeUtc,
    /// When the session ends at the latest.
    pub expires_at: DateTimeUtc,
    /// When the session was signed out or revoked, if it was.
    pub revoked_at: Option<DateTimeUtc>,
}

/// Foreign keys of `web_sessions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `staff_id` → `staff.id`.
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::StaffId",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    Staff,
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Staff.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
