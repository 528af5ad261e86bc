//! One-on-one sponsorship (一对一): a shopkeeper claims a recurring need in the bot and
//! chooses to sponsor every period; each new period is offered to it first, hidden from other
//! merchants, until it renews, stops or lets the window close; the resident hears once a
//! period; the social worker, the end of the series and the closing of the case end it.

use bots::{Action, Locale, text};
use charity_relay::domain::sponsorship::{SponsorRefusal, SponsorshipEnd, SponsorshipStatus};
use charity_relay::entities::sponsorship;
use charity_relay::jobs;
use charity_relay::services::access::Caller;
use charity_relay::services::{ServiceError, claims, sponsorships};
use chrono::{DateTime, Duration, Utc};
use sea_orm::EntityTrait;

use crate::support::bot::REPLY_WITHIN;
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE, World};
use crate::support::{TestApp, scalar_i64};

/// The clock `days` after now.
pub(crate) fn at(days: i64) -> DateTime<Utc> {
    Utc::now() + Duration::days(days)
}

pub(crate) fn shop(merchant_id: i64) -> Caller {
    Caller::Merchant {
        merchant_id,
        token_id: None,
    }
}

/// Organization A's worker posts a monthly need of 3 portions for `periods` periods, due
/// in 10 days; returns its id (the series' id).
pub(crate) async fn post_monthly(app: &TestApp, world: &World, periods: &str) -> i64 {
    let worker = app.login("worker0@example.org").await;
    let deadline = at(10).date_naive().to_string();
    let beneficiary = world.a().beneficiary_id.to_string();
    let fields = [
        ("beneficiary_id", beneficiary.as_str()),
        ("category", "food"),
        ("title", "每月米面油"),
        ("description", "独居老人每月需要的米面油。"),
        ("quantity", "3"),
        ("unit", "份"),
        ("deadline", deadline.as_str()),
        ("recurrence", "monthly"),
        ("periods", periods),
    ];
    let response = worker.post("/needs", &fields).await;
    assert_eq!(response.status(), 303);
    scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await
}

/// Merchant `merchant_id` claims all of `need` and sponsors its series, through the services;
/// returns the sponsorship's id.
pub(crate) async fn sponsor(app: &TestApp, merchant_id: i64, need: i64) -> i64 {
    let claim = claims::claim_need(&app.db, &shop(merchant_id), need, 3, None, Utc::now())
        .await
        .expect("claim");
    sponsorships::sponsor(&app.db, &shop(merchant_id), claim.claim.id, 72, Utc::now())
        .await
        .expect("sponsor")
        .id
}

/// The latest need of the database (the period the jobs just posted).
pub(crate) async fn latest_need(app: &TestApp) -> i64 {
    scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await
}

async fn outbox_count(app: &TestApp, kind: &str, dedupe_key: &str) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE kind = '{kind}' AND dedupe_key = '{dedupe_key}'"),
    )
    .await
}

async fn status_of(app: &TestApp, id: i64) -> (SponsorshipStatus, Option<SponsorshipEnd>) {
    let row = sponsorship::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("sponsorship");
    (row.status, row.end_reason)
}

#[tokio::test]
async fn a_shopkeeper_sponsors_in_the_bot_and_renews_the_next_period_which_others_cannot_see() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let (sponsor_id, other) = (world.merchants[0].id, world.merchants[1].id);
    let first = post_monthly(&app, &world, "3").await;
    let chat = app.linked_chat(sponsor_id, 5100, Locale::ZhCn).await;

    chat.tap(&Action::ClaimAll(first).encode()).await;
    let confirmed = chat.tap(&Action::ClaimAllYes(first, 3).encode()).await;
    assert!(confirmed.text.contains("交接码"), "{}", confirmed.text);
    let ask = chat
        .tap(&confirmed.button(&text::sponsor::offer_button(Locale::ZhCn)))
        .await;
    assert_eq!(ask.text, text::sponsor::ask(Locale::ZhCn));
    assert_eq!(app.count("sponsorships").await, 0, "nothing before yes");
    let started = chat.tap(&ask.button(&text::sponsor::yes_button(Locale::ZhCn))).await;
    assert!(started.text.contains("感谢您的一对一资助"), "{}", started.text);
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM sponsorships WHERE status = 'active'").await,
        1
    );
    assert_eq!(
        outbox_count(
            &app,
            "resident-need-sponsored",
            &format!("need:{first}:resident-sponsored")
        )
        .await,
        1,
        "the resident hears of this period's sponsor"
    );

    // Three days before the next period: posted, offered to the sponsor, hidden from others.
    let before = chat.received().len();
    let report = jobs::run_once(&app.db, at(8)).await.expect("jobs");
    assert_eq!(report.recurred, 1);
    let second = latest_need(&app).await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to = {sponsor_id}")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {second}")
        )
        .await,
        0,
        "no merchant is alerted while the sponsor may answer"
    );
    let other_token = &world.merchants[1].token;
    let (status, _) = app
        .api("GET", &format!("/api/v1/needs/{second}"), other_token, None)
        .await;
    assert_eq!(status, 404, "another merchant cannot see the period offered");
    let (status, _) = app.claim(other_token, second, 1).await;
    assert_eq!(status, 404, "nor claim it");
    let (_, board) = app.api("GET", "/api/v1/needs", other_token, None).await;
    assert!(!board.to_string().contains(&format!("\"id\":{second}")), "{board}");
    let cards = app.linked_chat(other, 5200, Locale::ZhCn).await;
    let board = cards.send_all("/needs").await;
    assert!(!board.text().contains("每月米面油"), "{}", board.text());

    // The renewal question reaches the sponsor, with its two buttons.
    // The job ran eight days ahead: the question is due then; bring that moment forward.
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        charity_relay::db::statement(
            &app.db,
            "UPDATE outbox SET next_attempt_at = ? WHERE kind = 'merchant-sponsor-renewal'",
            vec![Utc::now().into()],
        ),
    )
    .await
    .expect("due now");
    let question = app.tg().wait_for(chat.id, before + 1, REPLY_WITHIN).await[before].clone();
    assert!(question.text.contains("续期资助"), "{question:#?}");
    assert!(
        question.text.contains("每月米面油") && question.buttons.len() == 2,
        "{question:#?}"
    );
    for planted in [PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS] {
        assert!(!question.text.contains(planted));
    }

    let renew = question.buttons[0][0].1.clone();
    assert_eq!(renew, Action::Renew(second).encode());
    let renewed = chat.tap(&renew).await;
    assert!(
        renewed.text.starts_with(&text::sponsor::renewed(Locale::ZhCn)) && renewed.text.contains("交接码"),
        "{}",
        renewed.text
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM claims WHERE need_id = {second} AND merchant_id = {sponsor_id} AND quantity = 3"
            )
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to IS NULL AND status = 'fully_claimed'"
            )
        )
        .await,
        1
    );
    // Once a period: the sponsorship news, not the claim's as well.
    assert_eq!(
        outbox_count(
            &app,
            "resident-need-sponsored",
            &format!("need:{second}:resident-sponsored")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE kind = 'resident-need-claimed' AND payload LIKE '%\"need_id\":{second},%'")
        )
        .await,
        0
    );

    // The same button again answers with the same claim, and claims nothing more.
    let again = chat.tap(&renew).await;
    assert!(again.text.contains("交接码"), "{}", again.text);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE need_id = {second}")
        )
        .await,
        1
    );

    // `/mine` lists the sponsorship with its stop button.
    let mine = chat.send_all("/mine").await;
    assert!(
        mine.text().contains("您的一对一资助") && mine.text().contains("已资助 2 期"),
        "{}",
        mine.text()
    );
}

#[tokio::test]
async fn an_unanswered_period_goes_to_the_pool_and_a_late_renewal_is_refused() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (sponsor_id, other) = (world.merchants[0].id, world.merchants[1].id);
    let first = post_monthly(&app, &world, "").await;
    sponsor(&app, sponsor_id, first).await;
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let second = latest_need(&app).await;

    // Within the window another merchant cannot take it even by racing the sponsor.
    let refused = claims::claim_need(&app.db, &shop(other), second, 1, None, at(9)).await;
    assert!(matches!(refused, Err(ServiceError::NotFound(_))), "{refused:?}");

    // Past the window: the job sends it to the pool and starts the alert ladder.
    let report = jobs::run_once(&app.db, at(8) + Duration::hours(73))
        .await
        .expect("jobs");
    assert_eq!(report.unrenewed, 1);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to IS NULL AND offer_until IS NULL")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {second}")
        )
        .await,
        1
    );
    let late = sponsorships::renew(&app.db, &shop(sponsor_id), second, at(12)).await;
    assert!(
        matches!(late, Err(ServiceError::Sponsorship(SponsorRefusal::OfferClosed))),
        "{late:?}"
    );
    let claimed = claims::claim_need(&app.db, &shop(other), second, 1, None, at(12)).await;
    assert!(claimed.is_ok(), "in the pool now: {claimed:?}");
    // The sponsorship itself goes on: the next period is offered again.
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM sponsorships WHERE status = 'active'").await,
        1
    );
}

#[tokio::test]
async fn a_period_posted_before_the_sponsor_chose_is_offered_at_once_and_lapses_back_to_its_ladder() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (sponsor_id, other) = (world.merchants[0].id, world.merchants[1].id);
    let first = post_monthly(&app, &world, "").await;
    let claim = claims::claim_need(&app.db, &shop(sponsor_id), first, 3, None, Utc::now())
        .await
        .expect("claim");
    // The next period is posted (and alerted) before the shop decides to sponsor.
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let second = latest_need(&app).await;
    let laddered = format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {second}");
    assert_eq!(scalar_i64(&app.db, &laddered).await, 1);

    sponsorships::sponsor(&app.db, &shop(sponsor_id), claim.claim.id, 72, at(8))
        .await
        .expect("sponsor");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to = {sponsor_id}")
        )
        .await,
        1,
        "offered to the new sponsor at once"
    );
    let hidden = claims::claim_need(&app.db, &shop(other), second, 1, None, at(9)).await;
    assert!(matches!(hidden, Err(ServiceError::NotFound(_))), "{hidden:?}");

    // Unanswered: back to the pool, its ladder kept (not started twice), the jobs unharmed.
    let report = jobs::run_once(&app.db, at(12)).await.expect("jobs run");
    assert_eq!(report.unrenewed, 1);
    assert_eq!(scalar_i64(&app.db, &laddered).await, 1);
    let claimed = claims::claim_need(&app.db, &shop(other), second, 1, None, at(12)).await;
    assert!(claimed.is_ok(), "{claimed:?}");
}

#[tokio::test]
async fn a_renewal_tapped_after_the_window_closed_is_refused_in_the_chat() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let sponsor_id = world.merchants[0].id;
    let first = post_monthly(&app, &world, "3").await;
    sponsor(&app, sponsor_id, first).await;
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let second = latest_need(&app).await;
    // The window closed a minute ago (the bot reads the real clock).
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        charity_relay::db::statement(
            &app.db,
            "UPDATE needs SET offer_until = ? WHERE id = ?",
            vec![(Utc::now() - Duration::minutes(1)).into(), second.into()],
        ),
    )
    .await
    .expect("close the window");
    for lang in Locale::ALL {
        let chat = app.linked_chat(sponsor_id, 5300, lang).await;
        let late = chat.tap(&Action::Renew(second).encode()).await;
        assert_eq!(late.text, text::sponsor::offer_closed(lang));
    }
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE need_id = {second}")
        )
        .await,
        0
    );
}

#[tokio::test]
async fn stopping_asks_first_and_sends_the_period_waiting_to_the_pool() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let sponsor_id = world.merchants[0].id;
    let first = post_monthly(&app, &world, "").await;
    let id = sponsor(&app, sponsor_id, first).await;
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let second = latest_need(&app).await;

    let chat = app.linked_chat(sponsor_id, 5400, Locale::En).await;
    let ask = chat.tap(&Action::SponsorStopAsk(id).encode()).await;
    assert!(ask.text.starts_with("Stop sponsoring"), "{}", ask.text);
    let kept = chat.tap(&ask.button(&text::sponsor::keep_button(Locale::En))).await;
    assert_eq!(kept.text, text::sponsor::kept(Locale::En));
    assert_eq!(status_of(&app, id).await.0, SponsorshipStatus::Active);

    let stopped = chat.tap(&ask.button(&text::sponsor::stop_yes_button(Locale::En))).await;
    assert!(stopped.text.contains("You no longer sponsor"), "{}", stopped.text);
    assert_eq!(
        status_of(&app, id).await,
        (SponsorshipStatus::Ended, Some(SponsorshipEnd::MerchantStopped))
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to IS NULL")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {second}")
        )
        .await,
        1,
        "merchants hear of the period now"
    );
    // Stopped: the next period is nobody's first.
    jobs::run_once(&app.db, at(38)).await.expect("jobs");
    let third = latest_need(&app).await;
    assert_ne!(third, second);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {third} AND offered_to IS NULL")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_worker_ends_a_sponsorship_after_asking_and_the_shopkeeper_is_told() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let sponsor_id = world.merchants[0].id;
    let first = post_monthly(&app, &world, "6").await;
    let id = sponsor(&app, sponsor_id, first).await;
    let beneficiary = world.a().beneficiary_id;

    let mut reader = app.login("worker0@example.org").await;
    let (_, case) = reader.get(&format!("/beneficiaries/{beneficiary}")).await;
    assert!(
        case.contains("一对一资助") && case.contains("爱心商户0") && case.contains(&format!("/sponsorships/{id}/end")),
        "{case}"
    );

    // Another organization's worker neither sees nor ends it.
    let mut other = app.login("worker1@example.org").await;
    let (status, _) = other.get(&format!("/sponsorships/{id}/end")).await;
    assert_eq!(status, 404);
    let response = other.post(&format!("/sponsorships/{id}/end"), &[("reason", "x")]).await;
    assert_eq!(response.status(), 404);
    assert_eq!(status_of(&app, id).await.0, SponsorshipStatus::Active);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'sponsorship.end' AND outcome = 'denied'"
        )
        .await,
        1
    );

    // The page asks first, says who is told; without a reason nothing ends.
    let (status, ask) = reader.get(&format!("/sponsorships/{id}/end")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("爱心商户0") && ask.contains("会通过机器人告知"), "{ask}");
    let worker = app.login("worker0@example.org").await;
    let response = worker.post(&format!("/sponsorships/{id}/end"), &[("reason", "")]).await;
    assert_eq!(response.status(), 422);
    assert_eq!(status_of(&app, id).await.0, SponsorshipStatus::Active);
    let response = worker
        .post(&format!("/sponsorships/{id}/end"), &[("reason", "家属已接回照顾")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        status_of(&app, id).await,
        (SponsorshipStatus::Ended, Some(SponsorshipEnd::WorkerEnded))
    );
    assert_eq!(
        outbox_count(&app, "merchant-sponsorship-ended", &format!("sponsorship:{id}:ended")).await,
        1
    );
    let payload = scalar_text(
        &app,
        &format!("SELECT payload FROM outbox WHERE dedupe_key = 'sponsorship:{id}:ended'"),
    )
    .await;
    assert!(
        !payload.contains("家属"),
        "the reason stays in the audit log: {payload}"
    );
    let (_, case) = reader.get(&format!("/beneficiaries/{beneficiary}")).await;
    assert!(
        case.contains("社工结束了资助") && !case.contains(&format!("/sponsorships/{id}/end")),
        "{case}"
    );

    // Nothing more is offered to the former sponsor.
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let second = latest_need(&app).await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND offered_to IS NULL")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn stopping_the_series_or_closing_the_case_ends_the_sponsorship_and_cancels_the_offer() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let sponsor_id = world.merchants[0].id;
    let first = post_monthly(&app, &world, "").await;
    let id = sponsor(&app, sponsor_id, first).await;
    let worker = app.login("worker0@example.org").await;
    let response = worker
        .post(&format!("/needs/{first}/end-series"), &[("reason", "改由民政统一配送")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        status_of(&app, id).await,
        (SponsorshipStatus::Ended, Some(SponsorshipEnd::SeriesEnded))
    );

    // A new series, sponsored, with a period waiting for its sponsor: closing the case
    // cancels the period (it does not go to the pool) and ends the sponsorship.
    let again = post_monthly(&app, &world, "").await;
    let claim = claims::claim_need(&app.db, &shop(sponsor_id), again, 3, None, Utc::now())
        .await
        .expect("claim");
    let id = sponsorships::sponsor(&app.db, &shop(sponsor_id), claim.claim.id, 72, Utc::now())
        .await
        .expect("sponsor")
        .id;
    jobs::run_once(&app.db, at(8)).await.expect("jobs");
    let waiting = latest_need(&app).await;
    let beneficiary = world.a().beneficiary_id;
    let response = worker
        .post(
            &format!("/beneficiaries/{beneficiary}/close"),
            &[("reason", "moved_away")],
        )
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(
        status_of(&app, id).await,
        (SponsorshipStatus::Ended, Some(SponsorshipEnd::CaseClosed))
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {waiting} AND status = 'cancelled' AND offered_to IS NULL")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {waiting}")
        )
        .await,
        0,
        "a cancelled period alerts nobody"
    );
}

#[tokio::test]
async fn two_shops_sponsoring_the_same_need_at_once_make_one_sponsorship() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let first = post_monthly(&app, &world, "").await;
    let (a, b) = (world.merchants[0].id, world.merchants[1].id);
    let claim_a = claims::claim_need(&app.db, &shop(a), first, 1, None, Utc::now())
        .await
        .expect("claim a");
    let claim_b = claims::claim_need(&app.db, &shop(b), first, 2, None, Utc::now())
        .await
        .expect("claim b");
    let (shop_a, shop_b) = (shop(a), shop(b));
    let (one, two) = tokio::join!(
        sponsorships::sponsor(&app.db, &shop_a, claim_a.claim.id, 72, Utc::now()),
        sponsorships::sponsor(&app.db, &shop_b, claim_b.claim.id, 72, Utc::now()),
    );
    let won = [one.is_ok(), two.is_ok()].iter().filter(|ok| **ok).count();
    assert_eq!(won, 1, "{one:?} {two:?}");
    let lost = if one.is_ok() { two } else { one };
    assert!(
        matches!(lost, Err(ServiceError::Sponsorship(SponsorRefusal::AlreadySponsored))),
        "{lost:?}"
    );
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM sponsorships WHERE status = 'active'").await,
        1
    );
    // A one-off need cannot be sponsored, nor someone else's claim.
    let once = app.post_need(world.a(), 2).await;
    let c = claims::claim_need(&app.db, &shop(a), once, 1, None, Utc::now())
        .await
        .expect("claim");
    let refused = sponsorships::sponsor(&app.db, &shop(a), c.claim.id, 72, Utc::now()).await;
    assert!(
        matches!(refused, Err(ServiceError::Sponsorship(SponsorRefusal::NotRecurring))),
        "{refused:?}"
    );
    let theirs = sponsorships::sponsor(&app.db, &shop(b), c.claim.id, 72, Utc::now()).await;
    assert!(matches!(theirs, Err(ServiceError::NotFound(_))), "{theirs:?}");
}

#[tokio::test]
async fn the_reports_count_sponsored_people_periods_on_time_and_endings() {
    use charity_relay::domain::need_input::NeedDraft;
    use charity_relay::domain::time::local_date;
    use charity_relay::domain::{Category, Recurrence, Urgency};
    use charity_relay::services::claims::Confirmation;
    use charity_relay::services::{need_series, needs};

    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let sponsor_id = world.merchants[0].id;
    let worker = world.a().worker;
    // Two monthly periods, begun nine weeks ago, as a clock run backwards would have made them.
    let posted = Utc::now() - Duration::days(64);
    let draft = NeedDraft {
        beneficiary_id: world.a().beneficiary_id,
        category: Category::Food,
        title: "每月米面油".into(),
        description: "独居老人每月需要的米面油。".into(),
        quantity: 1,
        unit: "份".into(),
        deadline: local_date(posted) + Duration::days(5),
        urgency: Urgency::Normal,
        recurrence: Recurrence::Monthly,
        periods: Some(2),
        claim_days: 5,
        estimated_value_cents: None,
        drop_off_point_id: None,
    };
    let first = needs::post_need(&app.db, &app.config.secret_key, &worker, draft, posted)
        .await
        .expect("post");
    let stars = || Confirmation {
        rating: Some("5".into()),
        handoff_code: None,
        by_office: false,
    };
    let made = posted + Duration::hours(1);
    let claim = claims::claim_need(&app.db, &shop(sponsor_id), first.id, 1, None, made)
        .await
        .expect("claim")
        .claim;
    let id = sponsorships::sponsor(&app.db, &shop(sponsor_id), claim.id, 72, made)
        .await
        .expect("sponsor")
        .id;
    // The first period delivered two days later, on time.
    claims::mark_delivered(&app.db, &shop(sponsor_id), claim.id, made + Duration::days(2))
        .await
        .expect("deliver");
    claims::confirm(&app.db, &worker, claim.id, stars(), made + Duration::days(3))
        .await
        .expect("confirm");
    // The second posted and renewed, then delivered a day after its deadline.
    let second_deadline = Recurrence::Monthly.deadline_of(first.deadline, 2).expect("date");
    let posting = charity_relay::domain::time::local_midnight(second_deadline - Duration::days(3));
    need_series::post_next_occurrences(&app.db, 72, posting)
        .await
        .expect("post");
    let second = need_series::period(&app.db, first.id, 2)
        .await
        .expect("read")
        .expect("period 2");
    let renewed = sponsorships::renew(&app.db, &shop(sponsor_id), second, posting + Duration::hours(1))
        .await
        .expect("renew")
        .claim;
    let late = charity_relay::domain::time::local_midnight(second_deadline + Duration::days(1)) + Duration::hours(10);
    claims::mark_delivered(&app.db, &shop(sponsor_id), renewed.id, late)
        .await
        .expect("deliver late");
    // Both periods over: the job completes the sponsorship.
    jobs::run_once(&app.db, Utc::now()).await.expect("jobs");
    assert_eq!(
        status_of(&app, id).await,
        (SponsorshipStatus::Ended, Some(SponsorshipEnd::Completed))
    );

    let office = app.office_account().await;
    let mut admin = app.login(&office).await;
    let (status, page) = admin.get("/admin/reports?weeks=12").await;
    assert_eq!(status, 200);
    let section = page
        .split(r#"id="sponsorship""#)
        .nth(1)
        .expect("the sponsorship section");
    assert!(section.contains("受资助人数：1（目前进行中的资助：0）"), "{section}");
    assert!(section.contains("到期的资助期数：2，按时送达：1（50%）"), "{section}");
    assert!(
        section.contains("结束的资助：1") && section.contains("所有周期已完成 1"),
        "{section}"
    );
    // A social worker is refused the office's figures.
    let mut reader = app.login("worker0@example.org").await;
    let (status, _) = reader.get("/admin/reports").await;
    assert_ne!(status, 200);
}

async fn scalar_text(app: &TestApp, sql: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<String>(0).expect("text")
}
