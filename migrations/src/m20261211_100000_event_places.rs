//! An event's place is kept as what was chosen, not as Chinese text (issue 18, review item 7):
//! `community_id` for a community centre (党群服务中心) beside the existing `drop_off_point_id`,
//! and the room as typed in `place_detail`, so pages, posters and emails name the place in
//! each reader's language. `place` stays filled (in Chinese) for rows written before; those
//! rows are back-filled here where their text still matches the centre or point they name.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE events ADD COLUMN community_id BIGINT REFERENCES communities (id)")
            .await?;
        db.execute_unprepared("ALTER TABLE events ADD COLUMN place_detail VARCHAR(60) NOT NULL DEFAULT ''")
            .await?;
        // A centre was written `{name}党群服务中心` then a space and the room; a point
        // `{name}（{address}）` then a space and the room. LENGTH and SUBSTR count characters on
        // both databases.
        db.execute_unprepared(
            "UPDATE events SET community_id = (
               SELECT c.id FROM communities c
               WHERE c.subdistrict_id = events.subdistrict_id AND events.place LIKE c.name || '党群服务中心%'
               ORDER BY LENGTH(c.name) DESC LIMIT 1)
             WHERE drop_off_point_id IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE events SET place_detail = TRIM(SUBSTR(place, (
               SELECT LENGTH(c.name || '党群服务中心') FROM communities c WHERE c.id = events.community_id) + 1))
             WHERE community_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE events SET place_detail = TRIM(SUBSTR(place, (
               SELECT LENGTH(p.name || '（' || p.address || '）') FROM drop_off_points p
               WHERE p.id = events.drop_off_point_id) + 1))
             WHERE drop_off_point_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM drop_off_points p WHERE p.id = events.drop_off_point_id
               AND events.place LIKE p.name || '（' || p.address || '）%')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("events").drop_column("place_detail").to_owned())
            .await?;
        m.alter_table(Table::alter().table("events").drop_column("community_id").to_owned())
            .await?;
        Ok(())
    }
}
