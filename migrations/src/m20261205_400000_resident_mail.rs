//! Residents' mail (issue 13, items 8, 9 and 16).
//!
//! - `outbox.send_started_at`: set by the dispatcher's send-time claim (a conditional
//!   update that re-checks the contact), just before the message is handed to the server;
//!   an unsubscribe kills every row not started and waits for the started ones to settle.
//! - `contacts.consent_resent_at`, `consent_resends_since`, `consent_resends`: the last new
//!   confirmation asked for from the expired-link page, and the count in the day that began
//!   at `consent_resends_since` (one every 10 minutes, five a day).
//! - Consent belongs to an organization: `contacts.organization_id`, unique with `email`
//!   (no longer unique alone). A contact goes to the organization whose beneficiary
//!   registered it first; each other organization whose beneficiaries use the same address
//!   gets a contact row of its own — pending (and a confirmation email naming it) or, if
//!   the address had unsubscribed, unsubscribed — and takes its beneficiaries and its
//!   unsent news about their needs with it. Such a row's unsubscribe digest needs the
//!   secret key; it is written `split-…` here and completed when the app starts.
//!
//! SQLite cannot drop a column's UNIQUE, so `contacts` is rebuilt there, on one connection
//! with foreign keys off (they cannot be switched inside a transaction), checked before the
//! transaction commits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::sqlx::{self, Connection as _};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseExecutor, DbBackend, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The rebuilt `contacts` of SQLite, with the new columns and without `UNIQUE (email)`.
fn new_contacts(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(big_pk_auto("id"))
        .col(string("email"))
        .col(string("locale"))
        .col(string("consent_status"))
        .col(timestamp_with_time_zone_null("consent_requested_at"))
        .col(timestamp_with_time_zone_null("consent_at"))
        .col(string_null("consent_wording_version"))
        .col(string_null("confirm_token_digest"))
        .col(timestamp_with_time_zone_null("confirm_expires_at"))
        .col(string_uniq("unsubscribe_token_digest"))
        .col(timestamp_with_time_zone_null("undeliverable_at"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(big_integer_null("organization_id"))
        .col(timestamp_with_time_zone_null("consent_resent_at"))
        .col(timestamp_with_time_zone_null("consent_resends_since"))
        .col(integer("consent_resends").default(0))
        .check(Expr::cust("consent_status IN ('pending','confirmed','unsubscribed')"))
        .check(Expr::cust("locale IN ('zh-CN','en')"))
        .foreign_key(
            ForeignKey::create()
                .from(Alias::new(name), "organization_id")
                .to("organizations", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

const OLD_COLUMNS: &str = "id, email, locale, consent_status, consent_requested_at, consent_at, \
    consent_wording_version, confirm_token_digest, confirm_expires_at, unsubscribe_token_digest, \
    undeliverable_at, created_at, updated_at";

async fn rebuild_sqlite_contacts(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = m.get_connection() else {
        return Err(DbErr::Migration("the contacts rebuild needs its own connection".into()));
    };
    let err = |e: sqlx::Error| DbErr::Migration(format!("rebuilding contacts: {e}"));
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(err)?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let result = async {
        let mut txn = conn.begin().await?;
        let create = new_contacts("contacts_new").to_string(SqliteQueryBuilder);
        for sql in [
            create,
            format!("INSERT INTO contacts_new ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM contacts"),
            "DROP TABLE contacts".to_owned(),
            "ALTER TABLE contacts_new RENAME TO contacts".to_owned(),
            "CREATE UNIQUE INDEX ux_contacts_confirm_token ON contacts (confirm_token_digest)".to_owned(),
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

/// One row of a query, by column index, as i64 / String.
fn int(row: &sea_orm_migration::sea_orm::QueryResult, i: usize) -> Result<i64, DbErr> {
    row.try_get_by_index::<i64>(i)
}

fn text_at(row: &sea_orm_migration::sea_orm::QueryResult, i: usize) -> Result<String, DbErr> {
    row.try_get_by_index::<String>(i)
}

/// Gives every contact to the organization whose beneficiary registered it first, and
/// splits off a contact of its own for each other organization that uses the address.
async fn split_by_organization(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = m.get_connection();
    let backend = m.get_database_backend();
    conn.execute_raw(statement(
        backend,
        "UPDATE contacts SET organization_id = (SELECT b.organization_id FROM beneficiaries b \
         WHERE b.contact_id = contacts.id ORDER BY b.id LIMIT 1) WHERE organization_id IS NULL",
        vec![],
    ))
    .await?;
    let pairs = conn
        .query_all_raw(statement(
            backend,
            "SELECT DISTINCT b.contact_id, b.organization_id FROM beneficiaries b \
             JOIN contacts c ON c.id = b.contact_id WHERE b.organization_id <> c.organization_id \
             ORDER BY b.contact_id, b.organization_id",
            vec![],
        ))
        .await?;
    for pair in pairs {
        let (old, org) = (int(&pair, 0)?, int(&pair, 1)?);
        // The address's own facts come along; its consent to another organization does
        // not. An address that had unsubscribed stays unsubscribed: that was said to us.
        let inserted = conn
            .query_one_raw(statement(
                backend,
                "INSERT INTO contacts (email, locale, consent_status, consent_requested_at, consent_at, \
                 consent_wording_version, confirm_token_digest, confirm_expires_at, unsubscribe_token_digest, \
                 undeliverable_at, created_at, updated_at, organization_id, consent_resends) \
                 SELECT email, locale, CASE WHEN consent_status = 'unsubscribed' THEN 'unsubscribed' ELSE 'pending' END, \
                 updated_at, NULL, NULL, NULL, NULL, ?, undeliverable_at, created_at, updated_at, ?, 0 \
                 FROM contacts WHERE id = ? RETURNING id, consent_status",
                vec![format!("split-{old}-{org}").into(), org.into(), old.into()],
            ))
            .await?
            .ok_or_else(|| DbErr::Migration(format!("contact {old} vanished")))?;
        let new = int(&inserted, 0)?;
        let pending = text_at(&inserted, 1)? == "pending";
        conn.execute_raw(statement(
            backend,
            "UPDATE beneficiaries SET contact_id = ? WHERE contact_id = ? AND organization_id = ?",
            vec![new.into(), old.into(), org.into()],
        ))
        .await?;
        // Unsent news about this organization's needs waits for this organization's consent.
        let queued = conn
            .query_all_raw(statement(
                backend,
                "SELECT o.id, o.payload FROM outbox o WHERE o.contact_id = ? \
                 AND o.status IN ('pending','failed','held') AND o.kind LIKE 'resident-need-%'",
                vec![old.into()],
            ))
            .await?;
        for row in queued {
            let (id, payload) = (int(&row, 0)?, text_at(&row, 1)?);
            let Some(need_id) = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|p| p.get("need_id").and_then(serde_json::Value::as_i64))
            else {
                continue;
            };
            let (status, reason) = if pending {
                ("held", Some("consent"))
            } else {
                ("dead", None)
            };
            conn.execute_raw(statement(
                backend,
                "UPDATE outbox SET contact_id = ?, status = ?, hold_reason = ?, digest_id = NULL, \
                 counted_at = NULL, locked_until = NULL, \
                 last_error = CASE WHEN ? = 'dead' THEN 'contact unsubscribed' ELSE last_error END \
                 WHERE id = ? AND EXISTS (SELECT 1 FROM needs n WHERE n.id = ? AND n.organization_id = ?)",
                vec![
                    new.into(),
                    status.into(),
                    reason.map(str::to_owned).into(),
                    status.into(),
                    id.into(),
                    need_id.into(),
                    org.into(),
                ],
            ))
            .await?;
        }
        if pending {
            // The new organization's own confirmation email (its link is made when sent).
            conn.execute_raw(statement(
                backend,
                "INSERT INTO outbox (channel, recipient, contact_id, kind, locale, payload, dedupe_key, \
                 message_id, status, attempts, next_attempt_at, created_at) \
                 SELECT 'email', email, id, 'contact-consent', locale, '{}', ?, ?, 'pending', 0, updated_at, updated_at \
                 FROM contacts WHERE id = ?",
                vec![
                    format!("contact:{new}:consent:1").into(),
                    format!("<split-{new}.consent@charity-relay>").into(),
                    new.into(),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}

async fn apply(m: &SchemaManager<'_>, postgres: bool) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table("outbox")
            .add_column(timestamp_with_time_zone_null("send_started_at"))
            .to_owned(),
    )
    .await?;
    if postgres {
        for column in [
            big_integer_null("organization_id"),
            timestamp_with_time_zone_null("consent_resent_at"),
            timestamp_with_time_zone_null("consent_resends_since"),
            integer("consent_resends").default(0).to_owned(),
        ] {
            m.alter_table(Table::alter().table("contacts").add_column(column).to_owned())
                .await?;
        }
        m.create_foreign_key(
            ForeignKey::create()
                .name("fk_contacts_organization")
                .from("contacts", "organization_id")
                .to("organizations", "id")
                .on_delete(ForeignKeyAction::Restrict)
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_email_key")
            .await?;
    } else {
        rebuild_sqlite_contacts(m).await?;
    }
    split_by_organization(m).await?;
    m.create_index(
        Index::create()
            .name("ux_contacts_org_email")
            .table("contacts")
            .col("organization_id")
            .col("email")
            .unique()
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // SQLite's rebuild runs its own transaction on a connection of its own.
        Some(false)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            let txn = m.begin().await?;
            apply(&txn, true).await?;
            txn.commit().await
        } else {
            apply(m, false).await
        }
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Merging contacts back would hand one organization's consent to another.
        Err(DbErr::Migration(
            "contacts split by organization cannot be merged back".into(),
        ))
    }
}
