//! The core schema of DESIGN.md: parties, beneficiaries, needs and claims, volunteer hours,
//! the outbox, the audit log, tokens, sessions and processed Telegram updates.
//!
//! Status and category columns are text with CHECK lists, so both databases refuse a value
//! the domain enums do not know. Timestamps are always written by the application (one
//! clock, one text format on SQLite), never by database defaults.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn check(sql: &str) -> Expr {
    Expr::cust(sql.to_owned())
}

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    stmt.to_owned()
}

fn unique_index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    index(table, name, cols).unique().to_owned()
}

const PARTY_STATUS: &str = "status IN ('pending','approved','suspended')";
const CATEGORY: &str =
    "category IN ('food','daily_goods','clothing','medicine','service','tutoring','funds','volunteer_hours','other')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("communities")
                .col(big_pk_auto("id"))
                .col(string_uniq("name"))
                .col(string("name_en"))
                .col(string("subdistrict"))
                .col(string("subdistrict_en"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("organizations")
                .col(big_pk_auto("id"))
                .col(string_uniq("name"))
                .col(string("kind"))
                .col(string("status"))
                .col(big_integer_null("community_id"))
                .col(timestamp_with_time_zone("created_at"))
                .check(check(PARTY_STATUS))
                .check(check(
                    "kind IN ('social_work_station','social_organization','volunteer_team','office')",
                ))
                .foreign_key(&mut fk("organizations", "community_id", "communities"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("drop_off_points")
                .col(big_pk_auto("id"))
                .col(big_integer("organization_id"))
                .col(big_integer_null("community_id"))
                .col(string("name"))
                .col(string("address"))
                .col(string("opening_hours"))
                .foreign_key(&mut fk("drop_off_points", "organization_id", "organizations"))
                .foreign_key(&mut fk("drop_off_points", "community_id", "communities"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("drop_off_points", "ix_drop_off_points_org", &["organization_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("staff")
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
                .check(check("role IN ('admin','social_worker')"))
                .check(check("role = 'admin' OR organization_id IS NOT NULL"))
                .check(check("locale IS NULL OR locale IN ('zh-CN','en')"))
                .foreign_key(&mut fk("staff", "organization_id", "organizations"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("staff", "ix_staff_org", &["organization_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("contacts")
                .col(big_pk_auto("id"))
                .col(string_uniq("email"))
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
                .check(check("consent_status IN ('pending','confirmed','unsubscribed')"))
                .check(check("locale IN ('zh-CN','en')"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "contacts",
            "ux_contacts_confirm_token",
            &["confirm_token_digest"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("beneficiaries")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(big_integer("organization_id"))
                .col(big_integer("community_id"))
                .col(string("beneficiary_group"))
                .col(big_integer_null("contact_id"))
                .col(big_integer_null("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(check("beneficiary_group IN ('elderly_alone','child_in_hardship','disabled','low_income_family','migrant_child','other')"))
                .foreign_key(&mut fk("beneficiaries", "organization_id", "organizations"))
                .foreign_key(&mut fk("beneficiaries", "community_id", "communities"))
                .foreign_key(&mut fk("beneficiaries", "contact_id", "contacts"))
                .foreign_key(&mut fk("beneficiaries", "created_by", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("beneficiaries", "ix_beneficiaries_org", &["organization_id"]))
            .await?;
        m.create_index(index("beneficiaries", "ix_beneficiaries_contact", &["contact_id"]))
            .await?;

        // The private part lives apart so that no query of the public part can read it by
        // accident; `sealed` is nonce || AEAD ciphertext, the digests are keyed hashes used
        // only to warn about the same person registered twice.
        m.create_table(
            Table::create()
                .table("beneficiary_private")
                .col(big_integer("beneficiary_id").primary_key())
                .col(blob("sealed"))
                .col(string_null("phone_digest"))
                .col(string_null("id_number_digest"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("beneficiary_private", "beneficiary_id", "beneficiaries"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "beneficiary_private",
            "ix_beneficiary_private_phone",
            &["phone_digest"],
        ))
        .await?;
        m.create_index(index(
            "beneficiary_private",
            "ix_beneficiary_private_id_number",
            &["id_number_digest"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("merchants")
                .col(big_pk_auto("id"))
                .col(string("name"))
                .col(string("trade"))
                .col(big_integer_null("community_id"))
                .col(string("address"))
                .col(string_null("opening_hours"))
                .col(string("status"))
                .col(big_integer_null("telegram_chat_id"))
                .col(string("locale"))
                .col(boolean("show_publicly"))
                .col(integer("credit_score"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(check(PARTY_STATUS))
                .check(check("locale IN ('zh-CN','en')"))
                .check(check("credit_score BETWEEN 0 AND 100"))
                .foreign_key(&mut fk("merchants", "community_id", "communities"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "merchants",
            "ux_merchants_telegram_chat",
            &["telegram_chat_id"],
        ))
        .await?;
        m.create_index(index("merchants", "ix_merchants_status", &["status"]))
            .await?;

        m.create_table(
            Table::create()
                .table("merchant_link_codes")
                .col(big_pk_auto("id"))
                .col(big_integer("merchant_id"))
                .col(string_uniq("code_digest"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut fk("merchant_link_codes", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("offers")
                .col(big_pk_auto("id"))
                .col(big_integer("merchant_id"))
                .col(string("category"))
                .col(string("description"))
                .col(integer("monthly_capacity"))
                .col(string("status"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(check(CATEGORY))
                .check(check("status IN ('active','paused')"))
                .check(check("monthly_capacity >= 1"))
                .foreign_key(&mut fk("offers", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("offers", "ix_offers_merchant", &["merchant_id"]))
            .await?;
        m.create_index(index("offers", "ix_offers_category_status", &["category", "status"]))
            .await?;

        m.create_table(
            Table::create()
                .table("offer_communities")
                .col(big_integer("offer_id"))
                .col(big_integer("community_id"))
                .primary_key(Index::create().col("offer_id").col("community_id"))
                .foreign_key(&mut fk("offer_communities", "offer_id", "offers"))
                .foreign_key(&mut fk("offer_communities", "community_id", "communities"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("needs")
                .col(big_pk_auto("id"))
                .col(big_integer("organization_id"))
                .col(big_integer("beneficiary_id"))
                .col(big_integer("community_id"))
                .col(big_integer_null("drop_off_point_id"))
                .col(big_integer_null("posted_by"))
                .col(string("category"))
                .col(string("title"))
                .col(text("description"))
                .col(integer("quantity"))
                .col(string("unit"))
                .col(integer("claimed"))
                .col(integer("delivered"))
                .col(string("urgency"))
                .col(date("deadline"))
                .col(string("recurrence"))
                .col(big_integer_null("estimated_value_cents"))
                .col(integer("claim_days"))
                .col(string("status"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                // When a lapsed or released claim reopened the need; it then sorts ahead of
                // newer needs of the same urgency.
                .col(timestamp_with_time_zone_null("reopened_at"))
                .check(check(CATEGORY))
                .check(check(
                    "status IN ('open','fully_claimed','fulfilled','cancelled','expired')",
                ))
                .check(check("urgency IN ('normal','urgent')"))
                .check(check("recurrence IN ('none','weekly','monthly')"))
                .check(check("quantity BETWEEN 1 AND 10000"))
                .check(check("claimed >= 0 AND claimed <= quantity"))
                .check(check("delivered >= 0 AND delivered <= claimed"))
                .check(check("claim_days BETWEEN 1 AND 365"))
                .check(check("estimated_value_cents IS NULL OR estimated_value_cents >= 0"))
                .foreign_key(&mut fk("needs", "organization_id", "organizations"))
                .foreign_key(&mut fk("needs", "beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("needs", "community_id", "communities"))
                .foreign_key(&mut fk("needs", "drop_off_point_id", "drop_off_points"))
                .foreign_key(&mut fk("needs", "posted_by", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("needs", "ix_needs_board", &["status", "urgency", "created_at"]))
            .await?;
        m.create_index(index("needs", "ix_needs_org_status", &["organization_id", "status"]))
            .await?;
        m.create_index(index("needs", "ix_needs_community_status", &["community_id", "status"]))
            .await?;
        m.create_index(index("needs", "ix_needs_category_status", &["category", "status"]))
            .await?;
        m.create_index(index("needs", "ix_needs_beneficiary", &["beneficiary_id"]))
            .await?;
        m.create_index(index("needs", "ix_needs_status_deadline", &["status", "deadline"]))
            .await?;

        m.create_table(
            Table::create()
                .table("claims")
                .col(big_pk_auto("id"))
                .col(big_integer("need_id"))
                .col(big_integer("merchant_id"))
                .col(integer("quantity"))
                .col(string("status"))
                .col(string("handoff_code"))
                .col(string_null("idempotency_key"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone("remind_at"))
                .col(timestamp_with_time_zone_null("reminded_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(timestamp_with_time_zone_null("confirmed_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(small_integer_null("rating"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(check(
                    "status IN ('active','delivered','confirmed','disputed','released','lapsed')",
                ))
                .check(check("quantity >= 1"))
                .check(check("rating IS NULL OR rating BETWEEN 1 AND 5"))
                .foreign_key(&mut fk("claims", "need_id", "needs"))
                .foreign_key(&mut fk("claims", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("claims", "ix_claims_need_status", &["need_id", "status"]))
            .await?;
        m.create_index(index("claims", "ix_claims_merchant_status", &["merchant_id", "status"]))
            .await?;
        m.create_index(index("claims", "ix_claims_status_due", &["status", "due_at"]))
            .await?;
        m.create_index(unique_index(
            "claims",
            "ux_claims_merchant_idempotency",
            &["merchant_id", "idempotency_key"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("volunteers")
                .col(big_pk_auto("id"))
                .col(big_integer("organization_id"))
                .col(string("display_name"))
                .col(big_integer_null("contact_id"))
                // 受助者助人: the beneficiary record this volunteer once was, if any.
                .col(big_integer_null("former_beneficiary_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("volunteers", "organization_id", "organizations"))
                .foreign_key(&mut fk("volunteers", "contact_id", "contacts"))
                .foreign_key(&mut fk("volunteers", "former_beneficiary_id", "beneficiaries"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("volunteers", "ix_volunteers_org", &["organization_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("volunteer_hours")
                .col(big_pk_auto("id"))
                .col(big_integer("volunteer_id"))
                .col(big_integer_null("need_id"))
                .col(string("activity"))
                .col(integer("tenths"))
                .col(date("served_on"))
                .col(string("status"))
                .col(big_integer("logged_by"))
                .col(big_integer_null("confirmed_by"))
                .col(timestamp_with_time_zone_null("confirmed_at"))
                .col(timestamp_with_time_zone("created_at"))
                .check(check("tenths BETWEEN 1 AND 240"))
                .check(check("status IN ('logged','confirmed','rejected')"))
                .foreign_key(&mut fk("volunteer_hours", "volunteer_id", "volunteers"))
                .foreign_key(&mut fk("volunteer_hours", "need_id", "needs"))
                .foreign_key(&mut fk("volunteer_hours", "logged_by", "staff"))
                .foreign_key(&mut fk("volunteer_hours", "confirmed_by", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "volunteer_hours",
            "ix_volunteer_hours_volunteer",
            &["volunteer_id", "status"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(string("channel"))
                .col(string("recipient"))
                .col(big_integer_null("contact_id"))
                .col(big_integer_null("merchant_id"))
                .col(string("kind"))
                .col(string("locale"))
                .col(text("payload"))
                .col(string_uniq("dedupe_key"))
                .col(string("message_id"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .check(check("channel IN ('email','telegram')"))
                .check(check("status IN ('pending','failed','sent','dead','held')"))
                .check(check("attempts >= 0"))
                .foreign_key(&mut fk("outbox", "contact_id", "contacts"))
                .foreign_key(&mut fk("outbox", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("outbox", "ix_outbox_due", &["status", "next_attempt_at"]))
            .await?;
        m.create_index(index("outbox", "ix_outbox_contact", &["contact_id", "created_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("actor_kind"))
                .col(string_null("actor_id"))
                .col(big_integer_null("organization_id"))
                .col(string("action"))
                .col(string_null("subject_kind"))
                .col(string_null("subject_id"))
                .col(string("outcome"))
                .col(text("detail"))
                .col(string_null("request_id"))
                .check(check(
                    "actor_kind IN ('staff','merchant','api_token','system','anonymous')",
                ))
                .check(check("outcome IN ('ok','denied','failed')"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_log", "ix_audit_at", &["at"])).await?;
        m.create_index(index("audit_log", "ix_audit_subject", &["subject_kind", "subject_id"]))
            .await?;
        m.create_index(index("audit_log", "ix_audit_actor", &["actor_kind", "actor_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(string_uniq("token_digest"))
                .col(string("label"))
                .col(big_integer_null("organization_id"))
                .col(big_integer_null("merchant_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .check(check("(organization_id IS NULL) <> (merchant_id IS NULL)"))
                .foreign_key(&mut fk("api_tokens", "organization_id", "organizations"))
                .foreign_key(&mut fk("api_tokens", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;

        // A retried request with the same key gets the first answer back.
        m.create_table(
            Table::create()
                .table("idempotency_records")
                .col(string("scope"))
                .col(string("idem_key"))
                .col(string("request_digest"))
                .col(integer("status_code"))
                .col(text("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("scope").col("idem_key"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("web_sessions")
                .col(string("id_digest").primary_key())
                .col(big_integer("staff_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("web_sessions", "staff_id", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("web_sessions", "ix_web_sessions_staff", &["staff_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("login_throttles")
                .col(string("throttle_key").primary_key())
                .col(integer("failures"))
                .col(timestamp_with_time_zone("window_started_at"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("telegram_updates")
                .col(big_integer("update_id").primary_key())
                .col(text("payload"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone_null("handled_at"))
                .col(text_null("last_error"))
                .check(check("status IN ('pending','handled','failed')"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "telegram_updates",
            "ix_telegram_updates_status",
            &["status", "received_at"],
        ))
        .await?;

        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "telegram_updates",
            "login_throttles",
            "web_sessions",
            "idempotency_records",
            "api_tokens",
            "audit_log",
            "outbox",
            "volunteer_hours",
            "volunteers",
            "claims",
            "needs",
            "offer_communities",
            "offers",
            "merchant_link_codes",
            "merchants",
            "beneficiary_private",
            "beneficiaries",
            "contacts",
            "staff",
            "drop_off_points",
            "organizations",
            "communities",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
