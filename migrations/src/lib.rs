//! The schema of charity-relay: the only source of truth for tables, run by `serve`,
//! `migrate` and every test. A landed migration is never edited; changes come as new files.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_core_schema;
mod m20261129_100000_email_delivery;
mod m20261129_200000_bot_chats;
mod m20261129_300000_alert_ladder;
mod m20261205_400000_resident_mail;
mod m20261205_500000_bound_seals;
mod m20261205_500001_possible_duplicates;
mod m20261205_500002_handoff_guesses;
mod m20261205_600000_audit_chain;
mod m20261206_100000_dispute_reasons;
mod m20261207_100000_case_file;
mod m20261207_200000_ledger_visits;
mod m20261207_300000_organization_services;
mod m20261207_400000_referrals;
mod m20261207_500000_recurrence;
mod m20261207_600000_sponsorships;
mod m20261208_100000_subdistricts;
mod m20261208_200000_organization_applications;
mod m20261208_400000_merchant_applications;
mod m20261208_500000_directed_requests;
mod m20261208_600000_admission_renewal;
mod m20261208_800000_subdistrict_settings;
mod m20261209_100000_credit_codes;
mod m20261209_710000_outbox_subdistrict;
mod m20261210_100000_events;
mod m20261210_300000_certificates;
mod m20261211_100000_event_places;
mod m20261211_200000_wechat_inbox;

/// Lists every migration in the order it runs.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_core_schema::Migration),
            Box::new(m20261129_100000_email_delivery::Migration),
            Box::new(m20261129_200000_bot_chats::Migration),
            Box::new(m20261129_300000_alert_ladder::Migration),
            Box::new(m20261205_400000_resident_mail::Migration),
            Box::new(m20261205_500000_bound_seals::Migration),
            Box::new(m20261205_500001_possible_duplicates::Migration),
            Box::new(m20261205_500002_handoff_guesses::Migration),
            Box::new(m20261205_600000_audit_chain::Migration),
            Box::new(m20261206_100000_dispute_reasons::Migration),
            Box::new(m20261207_100000_case_file::Migration),
            Box::new(m20261207_200000_ledger_visits::Migration),
            Box::new(m20261207_300000_organization_services::Migration),
            Box::new(m20261207_400000_referrals::Migration),
            Box::new(m20261207_500000_recurrence::Migration),
            Box::new(m20261207_600000_sponsorships::Migration),
            Box::new(m20261208_100000_subdistricts::Migration),
            Box::new(m20261208_200000_organization_applications::Migration),
            Box::new(m20261208_400000_merchant_applications::Migration),
            Box::new(m20261208_500000_directed_requests::Migration),
            Box::new(m20261208_600000_admission_renewal::Migration),
            Box::new(m20261208_800000_subdistrict_settings::Migration),
            Box::new(m20261209_100000_credit_codes::Migration),
            Box::new(m20261209_710000_outbox_subdistrict::Migration),
            Box::new(m20261210_100000_events::Migration),
            Box::new(m20261210_300000_certificates::Migration),
            Box::new(m20261211_100000_event_places::Migration),
            Box::new(m20261211_200000_wechat_inbox::Migration),
        ]
    }
}
