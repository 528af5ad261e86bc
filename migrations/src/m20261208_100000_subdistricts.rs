//! The district platform's places (issue 17): one `districts` row holds `subdistricts`, each
//! with its communities, organizations, merchants and office accounts (`subdistrict_id`); a
//! `district` staff role reads every subdistrict; a merchant may ask for alerts of the other
//! subdistricts (`merchant_alert_settings.other_subdistricts`).
//!
//! Existing data moves without loss: one district; a subdistrict for each distinct
//! `communities.subdistrict` name (which stays, as the community's display copy); each
//! organization and merchant goes to its community's subdistrict, or to the first one; each
//! office account to the first one. A database with parties but no community yet gets one
//! *provisional* subdistrict, which the first community created names (see
//! `services::subdistricts`).
//!
//! SQLite cannot change a table's CHECK, so `staff` is rebuilt there, on one connection with
//! foreign keys off (they cannot be switched inside a transaction), checked before the
//! transaction commits, as `m20261205_400000_resident_mail` did for `contacts`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::sqlx::{self, Connection as _};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseExecutor, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables that gain `subdistrict_id` by a plain ALTER (nullable: SQLite cannot add a
/// referencing column with a default; the services always set it).
const PLACED: [&str; 3] = ["communities", "organizations", "merchants"];

/// The staff roles and the shapes an account may take: a social worker has an organization,
/// an office account a subdistrict.
const STAFF_CHECKS: [(&str, &str); 2] = [
    ("ck_staff_role", "role IN ('admin','social_worker','district')"),
    (
        "ck_staff_shape",
        "(role IN ('admin','district') OR organization_id IS NOT NULL) AND (role <> 'admin' OR subdistrict_id IS NOT NULL)",
    ),
];

const STAFF_COLUMNS: &str =
    "id, email, password_hash, role, organization_id, display_name, locale, active, password_changed_at, created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.create_table(
            Table::create()
                .table("districts")
                .col(big_pk_auto("id"))
                .col(string_uniq("name"))
                .col(string("name_en"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("subdistricts")
                .col(big_pk_auto("id"))
                .col(big_integer("district_id"))
                .col(string_uniq("name"))
                .col(string("name_en"))
                // Made to hold parties that came before any community; the first community names it.
                .col(boolean("provisional").default(false))
                .foreign_key(
                    ForeignKey::create()
                        .from("subdistricts", "district_id")
                        .to("districts", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_subdistricts_district ON subdistricts (district_id)")
            .await?;
        for table in PLACED {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN subdistrict_id BIGINT REFERENCES subdistricts (id)"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX ix_{table}_subdistrict ON {table} (subdistrict_id)"
            ))
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table("merchant_alert_settings")
                .add_column(boolean("other_subdistricts").default(false))
                .to_owned(),
        )
        .await?;

        for sql in [
            "INSERT INTO districts (name, name_en) VALUES ('本区', 'The district')",
            "INSERT INTO subdistricts (district_id, name, name_en, provisional) \
             SELECT (SELECT MIN(id) FROM districts), subdistrict, MIN(subdistrict_en), FALSE \
             FROM communities GROUP BY subdistrict ORDER BY MIN(id)",
            "INSERT INTO subdistricts (district_id, name, name_en, provisional) \
             SELECT (SELECT MIN(id) FROM districts), '本街道', 'The subdistrict', TRUE \
             WHERE NOT EXISTS (SELECT 1 FROM subdistricts) AND (EXISTS (SELECT 1 FROM organizations) \
             OR EXISTS (SELECT 1 FROM merchants) OR EXISTS (SELECT 1 FROM staff WHERE role = 'admin'))",
            "UPDATE communities SET subdistrict_id = \
             (SELECT s.id FROM subdistricts s WHERE s.name = communities.subdistrict)",
            "UPDATE organizations SET subdistrict_id = COALESCE(\
             (SELECT c.subdistrict_id FROM communities c WHERE c.id = organizations.community_id), \
             (SELECT MIN(id) FROM subdistricts))",
            "UPDATE merchants SET subdistrict_id = COALESCE(\
             (SELECT c.subdistrict_id FROM communities c WHERE c.id = merchants.community_id), \
             (SELECT MIN(id) FROM subdistricts))",
        ] {
            db.execute_unprepared(sql).await?;
        }

        if m.get_database_backend() == DbBackend::Postgres {
            postgres_staff(m).await
        } else {
            rebuild_sqlite_staff(m).await
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Not reversible without losing which subdistrict each party belongs to.
        let _ = m;
        Err(DbErr::Migration("the subdistricts migration cannot be undone".into()))
    }
}

async fn postgres_staff(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_unprepared("ALTER TABLE staff ADD COLUMN subdistrict_id BIGINT REFERENCES subdistricts (id)")
        .await?;
    db.execute_unprepared("UPDATE staff SET subdistrict_id = (SELECT MIN(id) FROM subdistricts) WHERE role = 'admin'")
        .await?;
    // The old checks were unnamed: find them by what they say.
    db.execute_unprepared(
        "DO $$ DECLARE r record; BEGIN \
         FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = 'staff'::regclass AND contype = 'c' \
         AND pg_get_constraintdef(oid) LIKE '%role%' LOOP \
         EXECUTE format('ALTER TABLE staff DROP CONSTRAINT %I', r.conname); END LOOP; END $$",
    )
    .await?;
    for (name, check) in STAFF_CHECKS {
        db.execute_unprepared(&format!("ALTER TABLE staff ADD CONSTRAINT {name} CHECK ({check})"))
            .await?;
    }
    db.execute_unprepared("CREATE INDEX ix_staff_subdistrict ON staff (subdistrict_id)")
        .await?;
    Ok(())
}

/// The rebuilt `staff` of SQLite, with `subdistrict_id` and the new checks.
fn new_staff(name: &str) -> String {
    let mut table = Table::create();
    table
        .table(Alias::new(name))
        .col(big_pk_auto("id"))
        .col(string_uniq("email"))
        .col(string("password_hash"))
        .col(string("role"))
        .col(big_integer_null("organization_id"))
        .col(string("display_name"))
        .col(string_null("locale"))
        .col(boolean("active"))
        .col(timestamp_with_time_zone("password_changed_at"))
        .col(timestamp_with_time_zone("created_at"))
        .col(big_integer_null("subdistrict_id"))
        .check(Expr::cust("locale IS NULL OR locale IN ('zh-CN','en')"))
        .foreign_key(
            ForeignKey::create()
                .from(Alias::new(name), "organization_id")
                .to("organizations", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Alias::new(name), "subdistrict_id")
                .to("subdistricts", "id")
                .on_delete(ForeignKeyAction::Restrict),
        );
    for (_, check) in STAFF_CHECKS {
        table.check(Expr::cust(check));
    }
    table.to_string(SqliteQueryBuilder)
}

async fn rebuild_sqlite_staff(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = m.get_connection() else {
        return Err(DbErr::Migration("the staff rebuild needs its own connection".into()));
    };
    let err = |e: sqlx::Error| DbErr::Migration(format!("rebuilding staff: {e}"));
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(err)?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let result = async {
        let mut txn = conn.begin().await?;
        for sql in [
            new_staff("staff_new"),
            format!(
                "INSERT INTO staff_new ({STAFF_COLUMNS}, subdistrict_id) SELECT {STAFF_COLUMNS}, \
                 CASE WHEN role = 'admin' THEN (SELECT MIN(id) FROM subdistricts) END FROM staff"
            ),
            "DROP TABLE staff".to_owned(),
            "ALTER TABLE staff_new RENAME TO staff".to_owned(),
            "CREATE INDEX ix_staff_org ON staff (organization_id)".to_owned(),
            "CREATE INDEX ix_staff_subdistrict ON staff (subdistrict_id)".to_owned(),
        ] {
            // Built here from constants, no outside input.
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *txn).await?;
        }
        let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *txn).await?;
        if !broken.is_empty() {
            return Err(sqlx::Error::Protocol(format!(
                "{} rows would break a foreign key",
                broken.len()
            )));
        }
        txn.commit().await
    }
    .await;
    // Back on before the connection returns to the pool, whatever happened.
    let restored = sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await;
    result.map_err(err)?;
    restored.map_err(err)?;
    Ok(())
}
