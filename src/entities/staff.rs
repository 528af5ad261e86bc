//! The `staff` table: admins and social workers who sign in to the web console.

use sea_orm::entity::prelude::*;

/// One row of `staff`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Sign-in email, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Password hash in PHC string format.
    pub password_hash: String,
    /// One of `admin` (a subdistrict office), `district`, `social_worker`.
    pub role: String,
    /// The organization a social worker belongs to; required unless `role` is `admin`.
    pub organization_id: Option<i64>,
    /// The subdistrict an office account works for; required for `admin`, none otherwise.
    pub subdistrict_id: Option<i64>,
    /// Name shown in the console and the audit log.
    pub display_name: String,
    /// Preferred UI locale, `zh-CN` or `en`, if chosen.
    pub locale: Option<super::values::StoredLocale>,
    /// Whether the account may sign in.
    pub active: bool,
    /// When the password was last set.
    pub password_changed_at: DateTimeUtc,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `staff`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `organization_id` → `organizations.id`.
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Organization,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
