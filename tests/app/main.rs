//! Integration tests, organised by what a user does. Each test spins up the whole app on a
//! random port with a fresh database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`).

#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod api;
mod applications;
mod attack_i14;
mod attack_i15;
mod attack_i16;
mod bot_alerts;
mod bot_console;
mod bot_flows;
mod bot_notices;
mod bot_privacy;
mod bot_public;
mod bot_reliability;
mod cases;
mod claims;
mod cli;
mod consent;
mod credit;
mod delivery;
mod demo;
mod disputes;
mod dkim;
mod duplicates;
mod email;
mod file_modes;
mod first_day;
mod handoff;
mod health;
mod hostile;
mod instances;
mod ledger;
mod lockout;
mod mail;
mod merchant_join;
mod need_form;
mod office_pages;
mod org_services;
mod pii_guard;
mod privacy;
mod recurring_needs;
mod referrals;
mod renewals;
mod reports;
mod resident_mail;
mod resources;
mod retention;
mod schema;
mod seals;
mod sponsorship;
mod subdistricts;
mod visits;
mod web;
