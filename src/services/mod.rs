//! Use cases. Each public function is one transaction: it writes its audit row (and, from
//! the relay core on, its outbox rows) in that same transaction and returns domain values.

pub mod access;
pub mod admissions;
pub mod alert_settings;
pub mod alerts;
pub mod api_tokens;
pub mod audit;
pub mod audit_chain;
pub mod beneficiaries;
pub mod case_access;
pub mod cases;
pub mod claims;
pub mod contacts;
pub mod dashboard;
pub mod directed_requests;
pub mod duplicates;
pub mod error;
pub mod ledger;
pub mod library;
pub mod lockout;
pub mod matching;
pub mod merchants;
pub mod need_cards;
pub mod need_series;
pub mod needs;
pub mod offers;
pub mod office;
pub mod organization_credit;
pub mod organization_services;
pub mod organizations;
pub mod outbox;
pub mod private_details;
pub mod recipients;
pub mod referrals;
pub mod reports;
pub mod retention;
pub mod sessions;
pub mod sponsorships;
pub mod staff;
pub mod subdistricts;
pub mod telegram;
pub mod visits;
pub mod volunteers;

pub use error::ServiceError;
