//! An attacker's look at issue 16 (case file, relief ledger, visits, referral): what was found
//! and fixed, each with the story that failed before the fix, and what holds, kept as a guard.

use charity_relay::jobs;
use chrono::{Duration, Utc};

use crate::referrals::{b_offers_elder_care, ledger_entry, refer};
use crate::support::browser::Browser;
use crate::support::{TestApp, scalar_i64};

const VISIT_NOTES: &str = "老人腿脚不便，女儿在外地，冰箱已空";
const FOUND: &str = "需要米面油";
const LEDGER_NOTE: &str = "站里登记的低保金";

/// Worker `station` logs a visit of `case` in `mode` with the notes and `found`; the status.
async fn log_visit(station: &mut Browser, case: i64, mode: &str, found: &str) -> u16 {
    station.get(&format!("/beneficiaries/{case}/visits")).await;
    let today = (Utc::now() + Duration::hours(8)).date_naive().to_string();
    station
        .post(
            &format!("/beneficiaries/{case}/visits"),
            &[
                ("visited_on", &today),
                ("mode", mode),
                ("visitors", "王社工"),
                ("notes", VISIT_NOTES),
                ("needs_found", found),
            ],
        )
        .await
        .status()
        .as_u16()
}

/// The station visits its elderly man, records his relief, refers him to the association
/// (which declines with a note), and closes the case when he passes away. Three years on,
/// the erasure job removes his personal data: the visit's notes and what was found, the
/// ledger's notes and the referral's words about him go with the sealed details; the
/// figures, the visit's date and the referral's facts stay.
#[tokio::test]
async fn erasure_removes_the_visit_notes_ledger_notes_and_referral_words_of_the_case() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;

    assert_eq!(log_visit(&mut station, case, "home", FOUND).await, 303);
    station.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert_eq!(ledger_entry(&app, &station, case, LEDGER_NOTE).await, 303);
    let referral = refer(&mut station, &world, &[]).await;
    association.get(&format!("/referrals/{referral}")).await;
    let declined = association
        .post(
            &format!("/referrals/{referral}/decline"),
            &[
                ("decline_reason", "no_capacity"),
                ("decline_note", "他的情况本会无法照护"),
            ],
        )
        .await;
    assert_eq!(declined.status(), 303);
    station.get(&format!("/beneficiaries/{case}")).await;
    let closed = station
        .post(&format!("/beneficiaries/{case}/close"), &[("reason", "passed_away")])
        .await;
    assert_eq!(closed.status(), 303);

    let later = Utc::now() + Duration::days(1096);
    assert_eq!(jobs::erase_closed_cases(&app.db, 1095, later).await.expect("job"), 1);

    let left = |sql: String| {
        let db = app.db.clone();
        async move { scalar_i64(&db, &sql).await }
    };
    assert_eq!(
        left(format!(
            "SELECT COUNT(*) FROM visits WHERE beneficiary_id = {case} AND (needs_found <> '' OR length(notes_sealed) > 0)"
        ))
        .await,
        0,
        "the visit's notes and findings are gone"
    );
    assert_eq!(
        left(format!("SELECT COUNT(*) FROM visits WHERE beneficiary_id = {case}")).await,
        1,
        "the visit itself (its date) stays"
    );
    assert_eq!(
        left(format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE beneficiary_id = {case} AND description <> ''"
        ))
        .await,
        0,
        "the ledger's notes are gone"
    );
    assert_eq!(
        left(format!(
            "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM ledger_entries WHERE beneficiary_id = {case}"
        ))
        .await,
        50_000,
        "the ledger's figures stay"
    );
    assert_eq!(
        left(format!(
            "SELECT COUNT(*) FROM referrals WHERE beneficiary_id = {case} AND (reason <> '' OR decline_note IS NOT NULL)"
        ))
        .await,
        0,
        "the referral's words about him are gone"
    );

    // The tabs still open, showing what is left.
    let (status, page) = station.get(&format!("/beneficiaries/{case}/visits")).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(VISIT_NOTES) && !page.contains(FOUND));
    let (status, page) = station.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(LEDGER_NOTE) && page.contains("500.00"), "{page}");
    let (status, page) = association.get(&format!("/referrals/{referral}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("他的情况"));
}

/// After the erasure job the case is passed by for good: a visit or a ledger note written
/// about the person then would stay forever, so both are refused (the API's too).
#[tokio::test]
async fn nothing_new_is_written_about_an_erased_person() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    station.get(&format!("/beneficiaries/{case}")).await;
    let closed = station
        .post(&format!("/beneficiaries/{case}/close"), &[("reason", "moved_away")])
        .await;
    assert_eq!(closed.status(), 303);
    let later = Utc::now() + Duration::days(1096);
    assert_eq!(jobs::erase_closed_cases(&app.db, 1095, later).await.expect("job"), 1);

    assert_eq!(log_visit(&mut station, case, "phone", "").await, 409);
    station.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert_eq!(ledger_entry(&app, &station, case, LEDGER_NOTE).await, 409);
    assert_eq!(app.count("visits").await, 0);
    assert_eq!(app.count("ledger_entries").await, 0);
}
