//! The `need_ladders` table: how far the alert ladder of a need has gone, when its next
//! rung is due, and whether the office was told the need is unclaimed and aging.

use sea_orm::entity::prelude::*;

/// One row of `need_ladders`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "need_ladders")]
pub struct Model {
    /// The need; the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub need_id: i64,
    /// Rungs sent so far.
    pub rung: i32,
    /// When the next rung is due; `None` once the ladder has ended.
    pub next_rung_at: Option<DateTimeUtc>,
    /// When the need was flagged to the office as unclaimed and aging.
    pub flagged_at: Option<DateTimeUtc>,
    /// Why: `ladder_exhausted` or `near_deadline`.
    pub flag_reason: Option<String>,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `need_ladders`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `need_id` → `needs.id`.
    #[sea_orm(
        belongs_to = "super::need::Entity",
        from = "Column::NeedId",
        to = "super::need::Column::Id",
        on_delete = "Restrict"
    )]
    Need,
}

impl Related<super::need::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Need.def()
    }
}

/// A need has at most one ladder.
impl Related<Entity> for super::need::Entity {
    fn to() -> RelationDef {
        Relation::Need.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
