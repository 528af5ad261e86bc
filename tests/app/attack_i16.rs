//! An attacker's look at issue 16 (case file, relief ledger, visits, referral): what was found
//! and fixed, each with the story that failed before the fix, and what holds, kept as a guard.

use charity_relay::jobs;
use chrono::{Duration, Utc};

use crate::referrals::{b_offers_elder_care, ledger_entry, refer};
use crate::sponsorship::{at, latest_need, post_monthly, shop};
use crate::support::browser::Browser;
use crate::support::{TestApp, scalar_i64};
use charity_relay::services::{claims, sponsorships};

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

/// Organization A posts a monthly need; the jobs post its second period while the first still
/// waits (so the second is alerted at once); an hour later merchant 0 claims the first and
/// sponsors the series, which offers it the second. Returns (the sponsorship, the second
/// period).
async fn alerted_then_offered(app: &TestApp, world: &crate::support::world::World) -> (i64, i64) {
    let sponsor_id = world.merchants[0].id;
    let first = post_monthly(app, world, "3").await;
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let second = latest_need(app).await;
    assert_eq!(ladders(app, second).await, 1, "alerted when posted");
    let chose = at(8) + Duration::hours(1);
    let held = claims::claim_need(&app.db, &shop(sponsor_id), first, 3, None, chose)
        .await
        .expect("claim");
    let id = sponsorships::sponsor(&app.db, &shop(sponsor_id), held.claim.id, 72, chose)
        .await
        .expect("sponsor")
        .id;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to = {sponsor_id}")
        )
        .await,
        1,
        "the untouched period is offered to the sponsor"
    );
    (id, second)
}

async fn ladders(app: &TestApp, need: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {need}"),
    )
    .await
}

/// A period posted before its sponsor chose went to the pool at once and started its alert
/// ladder; sponsoring then offers it to the sponsor. When the offer goes back to the pool (the
/// sponsor stops, the worker ends it, or the window closes), its ladder must resume, not be
/// started a second time: `need_ladders` has one row a need, and the second insert failed, so
/// the sponsor could not stop, the worker could not end it, nor close the case.
#[tokio::test]
async fn a_period_alerted_before_the_sponsorship_goes_back_to_the_pool_when_the_sponsor_stops() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (sponsor_id, other) = (world.merchants[0].id, world.merchants[1].id);
    let (id, second) = alerted_then_offered(&app, &world).await;
    // While offered, its ladder climbs to nobody else.
    jobs::run_once(&app.db, at(8) + Duration::hours(13))
        .await
        .expect("jobs");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT MAX(rung) FROM need_ladders WHERE need_id = {second}")
        )
        .await,
        1,
        "no rung climbs while the sponsor may answer"
    );

    let stopped = sponsorships::stop(&app.db, &shop(sponsor_id), id, at(9)).await;
    assert!(stopped.is_ok(), "the sponsor may stop: {stopped:?}");
    assert_eq!(ladders(&app, second).await, 1, "one ladder a need");
    let claimed = claims::claim_need(&app.db, &shop(other), second, 1, None, at(9)).await;
    assert!(claimed.is_ok(), "in the pool again: {claimed:?}");
}

/// The same period left unanswered: the job that releases lapsed offers failed on it at every
/// tick (and so never released any period after it).
#[tokio::test]
async fn a_period_alerted_before_the_sponsorship_goes_back_to_the_pool_when_the_window_closes() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (_, second) = alerted_then_offered(&app, &world).await;
    let report = jobs::run_once(&app.db, at(8) + Duration::hours(74))
        .await
        .expect("the job runs");
    assert_eq!(report.unrenewed, 1);
    assert_eq!(ladders(&app, second).await, 1, "one ladder a need");
    let claimed = claims::claim_need(&app.db, &shop(world.merchants[1].id), second, 1, None, at(12)).await;
    assert!(claimed.is_ok(), "in the pool again: {claimed:?}");
}

/// The office suspends a sponsor while a period waits for its answer: it may no longer renew
/// (claims are refused), so the period must go to the pool at once, not stay hidden from every
/// other merchant until the window closes three days later.
#[tokio::test]
async fn suspending_a_sponsor_sends_the_period_offered_to_it_to_the_pool() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (sponsor_id, other) = (world.merchants[0].id, world.merchants[1].id);
    let first = post_monthly(&app, &world, "3").await;
    crate::sponsorship::sponsor(&app, sponsor_id, first).await;
    let report = jobs::run_once(&app.db, at(8)).await.expect("jobs");
    assert_eq!(report.recurred, 1);
    let second = latest_need(&app).await;
    let offered = format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to = {sponsor_id}");
    assert_eq!(scalar_i64(&app.db, &offered).await, 1);

    let office = app.login(&app.office_account().await).await;
    let suspended = office
        .post(
            &format!("/admin/merchants/{sponsor_id}/status"),
            &[("status", "suspended"), ("reason", "资质到期")],
        )
        .await;
    assert_eq!(suspended.status(), 303);
    assert_eq!(scalar_i64(&app.db, &offered).await, 0, "no longer held for it");
    let claimed = claims::claim_need(&app.db, &shop(other), second, 1, None, Utc::now()).await;
    assert!(claimed.is_ok(), "in the pool at once: {claimed:?}");
}

/// The sponsor stops at the very moment the job posts the next period: the job read the
/// sponsorship as active before the stop committed and offered the period to a sponsor that
/// had gone, hiding it from everyone for the whole window (and a renewal was refused). Now the
/// job reads the sponsorship again under its locks. A guard, not a reproduction: the window is
/// narrow and this story passed on PostgreSQL before the locks too; every round must end with
/// no period offered to a sponsorship that ended.
#[tokio::test]
async fn a_stop_racing_the_next_period_never_leaves_it_offered_to_a_sponsor_gone() {
    let app = TestApp::spawn().await;
    let world = app.world(3).await;
    for round in 0..6 {
        // New shops may hold three claims at once: the rounds take turns.
        let sponsor_id = world.merchants[round % 3].id;
        let first = post_monthly(&app, &world, "3").await;
        let id = crate::sponsorship::sponsor(&app, sponsor_id, first).await;
        let me = shop(sponsor_id);
        let (stopped, ran) = tokio::join!(
            sponsorships::stop(&app.db, &me, id, Utc::now()),
            jobs::run_once(&app.db, at(8)),
        );
        stopped.expect("stop");
        ran.expect("jobs");
        assert_eq!(
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM needs n WHERE n.offered_to IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM sponsorships s WHERE s.series_id = n.series_id \
                 AND s.merchant_id = n.offered_to AND s.status = 'active')"
            )
            .await,
            0,
            "no period waits for a sponsor that stopped"
        );
    }
}
