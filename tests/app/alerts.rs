//! The alert ladder, with a test clock: a new need reaches the five best-fitting shops,
//! the next five twelve hours later if it is still not fully claimed, and the office when
//! nobody is left or the deadline is near; quiet hours, the daily cap, "urgent needs
//! always" and the daily digest shape when a shop hears of it. And a shop's list of needs
//! puts the one that fits it best first.

use charity_relay::domain::alerts::{AlertMode, SettingsChange};
use charity_relay::domain::matching::score;
use charity_relay::domain::need_input::NeedDraft;
use charity_relay::domain::time::{local_at, local_date};
use charity_relay::domain::{Category, Recurrence, Urgency};
use charity_relay::entities::{merchant, outbox};
use charity_relay::jobs;
use charity_relay::services::access::Caller;
use charity_relay::services::{alert_settings, claims, matching, needs, offers};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};

use crate::support::world::{Org, World};
use crate::support::{TestApp, scalar_i64};

/// `hh:mm` local time `days` after tomorrow (a day whose needs may be posted today).
fn at(days: i64, hh: u16, mm: u16) -> DateTime<Utc> {
    let tomorrow = local_date(Utc::now()) + Duration::days(1 + days);
    local_at(tomorrow, hh * 60 + mm)
}

/// Links the shops of `world` to chats, gives each a food offer in the world's community
/// and a credit rising with its index, so that the ladder's order is by credit.
async fn shops(app: &TestApp, world: &World) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, m) in world.merchants.iter().enumerate() {
        merchant::Entity::update_many()
            .col_expr(merchant::Column::TelegramChatId, Expr::value(7000 + i as i64))
            .col_expr(merchant::Column::CreditScore, Expr::value(40 + i as i32 * 5))
            .filter(merchant::Column::Id.eq(m.id))
            .exec(&app.db)
            .await
            .expect("link");
        let offer = offers::NewOffer {
            category: Category::Food,
            description: "每周盒饭".into(),
            monthly_capacity: 20,
            community_ids: vec![world.community_id],
        };
        offers::add(&app.db, m.id, offer, Utc::now()).await.expect("offer");
        ids.push(m.id);
    }
    ids
}

/// A need to post: what, how many, how soon, until when.
struct Ask<'a>(Category, &'a str, i32, Urgency, NaiveDate);

/// Posts a need as `org`'s social worker at `now`.
async fn post(app: &TestApp, org: &Org, ask: Ask<'_>, now: DateTime<Utc>) -> i64 {
    let Ask(category, title, quantity, urgency, deadline) = ask;
    let draft = NeedDraft {
        beneficiary_id: org.beneficiary_id,
        category,
        title: title.into(),
        description: "社工核实后发布。".into(),
        quantity,
        unit: "份".into(),
        deadline,
        urgency,
        recurrence: Recurrence::Once,
        periods: None,
        claim_days: 7,
        estimated_value_cents: None,
        drop_off_point_id: None,
    };
    needs::post_need(&app.db, &app.config.secret_key, &org.worker, draft, now)
        .await
        .expect("post need")
        .id
}

/// The merchants alerted of `need`, in the order they were chosen.
async fn alerted(app: &TestApp, need: i64) -> Vec<i64> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT merchant_id FROM need_alerts WHERE need_id = {need} ORDER BY rung, id"),
        ))
        .await
        .expect("alerts");
    rows.iter().map(|r| r.try_get_by_index::<i64>(0).expect("id")).collect()
}

/// The outbox row of the alert of `need` to `merchant`, if one was queued.
async fn alert_row(app: &TestApp, need: i64, merchant: i64) -> Option<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(format!("need:{need}:alert:merchant:{merchant}")))
        .one(&app.db)
        .await
        .expect("outbox")
}

async fn set(app: &TestApp, merchant: i64, change: SettingsChange) {
    alert_settings::change(&app.db, merchant, change, Utc::now())
        .await
        .expect("settings");
}

#[tokio::test]
async fn the_ladder_climbs_every_twelve_hours_until_nobody_is_left_then_tells_the_office() {
    let app = TestApp::spawn().await;
    let world = app.world(12).await;
    let shops = shops(&app, &world).await;
    let t0 = at(0, 8, 0);
    let need = post(
        &app,
        world.a(),
        Ask(
            Category::Food,
            "盒饭十份",
            10,
            Urgency::Normal,
            local_date(t0) + Duration::days(20),
        ),
        t0,
    )
    .await;

    // The five best (highest credit) hear of it at once.
    let best: Vec<i64> = shops.iter().rev().take(5).copied().collect();
    assert_eq!(alerted(&app, need).await, best);
    for m in &best {
        let row = alert_row(&app, need, *m).await.expect("queued");
        assert_eq!(row.next_attempt_at, t0, "daytime: sent at once");
        assert_eq!(row.kind, "merchant-need-alert");
    }
    // One of them claims part of it: still not fully claimed.
    let first = Caller::Merchant {
        merchant_id: best[0],
        token_id: None,
    };
    claims::claim_need(&app.db, &first, need, 3, None, t0 + Duration::hours(1))
        .await
        .expect("claim");

    // Not before twelve hours.
    let early = jobs::run_once(&app.db, t0 + Duration::hours(12) - Duration::minutes(1))
        .await
        .expect("jobs");
    assert_eq!(early.rungs, 0);
    assert_eq!(alerted(&app, need).await.len(), 5);

    // At twelve hours the next five, once even when three processes run the jobs together.
    let t12 = t0 + Duration::hours(12);
    let runs = join_all((0..3).map(|_| jobs::run_once(&app.db, t12))).await;
    let rungs: u64 = runs.into_iter().map(|r| r.expect("jobs").rungs).sum();
    assert_eq!(rungs, 1);
    let next: Vec<i64> = shops.iter().rev().skip(5).take(5).copied().collect();
    assert_eq!(alerted(&app, need).await[5..], next[..]);
    let queued = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-need-alert' AND dedupe_key LIKE 'need:{need}:%'"),
    )
    .await;
    assert_eq!(queued, 10, "each shop once");

    // Then the last two; then nobody is left, and the office is told.
    jobs::run_once(&app.db, t0 + Duration::hours(24)).await.expect("jobs");
    assert_eq!(alerted(&app, need).await.len(), 12);
    assert_eq!(flags(&app, need).await, 0);
    let last = jobs::run_once(&app.db, t0 + Duration::hours(36)).await.expect("jobs");
    assert_eq!((last.rungs, last.flagged), (1, 1));
    assert_eq!(flags(&app, need).await, 1);
    let reason = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {need} AND flag_reason = 'ladder_exhausted' AND next_rung_at IS NULL"),
    )
    .await;
    assert_eq!(reason, 1);
    let after = jobs::run_once(&app.db, t0 + Duration::hours(72)).await.expect("jobs");
    assert_eq!((after.rungs, after.flagged), (0, 0), "the ladder has ended");

    // The office sees it on the dashboard as unclaimed and aging, and so does the worker.
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let (_, page) = office.get("/").await;
    let t = charity_relay::i18n::Tr(charity_relay::domain::Locale::ZhCn);
    let section = section_of(&page, t.get("dashboard.aging"), t.get("dashboard.near_deadline"));
    assert!(section.contains("盒饭十份"), "{page}");
    assert!(section.contains("已无其他合适商户可提醒"), "{section}");
    let mut worker_b = app.login("worker1@example.org").await;
    let (_, page) = worker_b.get("/").await;
    let section = section_of(&page, t.get("dashboard.aging"), t.get("dashboard.near_deadline"));
    assert!(
        !section.contains("盒饭十份"),
        "another organization's need is not shown"
    );
}

/// The part of `page` between two headings.
fn section_of<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page.find(from).unwrap_or_else(|| panic!("{from} missing: {page}"));
    let end = page[start..].find(to).map_or(page.len(), |e| start + e);
    &page[start..end]
}

/// Audited flags of `need`.
async fn flags(app: &TestApp, need: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'need.flag_aging' AND subject_id = '{need}'"),
    )
    .await
}

#[tokio::test]
async fn a_fully_claimed_need_climbs_no_further_until_it_reopens() {
    let app = TestApp::spawn().await;
    let world = app.world(7).await;
    shops(&app, &world).await;
    let t0 = at(0, 9, 0);
    let need = post(
        &app,
        world.a(),
        Ask(
            Category::Food,
            "米面",
            2,
            Urgency::Normal,
            local_date(t0) + Duration::days(20),
        ),
        t0,
    )
    .await;
    let first = alerted(&app, need).await[0];
    let me = Caller::Merchant {
        merchant_id: first,
        token_id: None,
    };
    let claimed = claims::claim_need(&app.db, &me, need, 2, None, t0)
        .await
        .expect("claim");
    let waited = jobs::run_once(&app.db, t0 + Duration::hours(12)).await.expect("jobs");
    assert_eq!(waited.rungs, 0);
    assert_eq!(alerted(&app, need).await.len(), 5);
    claims::release(&app.db, &me, claimed.claim.id, t0 + Duration::hours(13))
        .await
        .expect("release");
    let climbed = jobs::run_once(&app.db, t0 + Duration::hours(24)).await.expect("jobs");
    assert_eq!(climbed.rungs, 1);
    assert_eq!(
        alerted(&app, need).await.len(),
        7,
        "the last two hear of the reopened need"
    );
}

#[tokio::test]
async fn quiet_hours_hold_an_alert_until_morning_unless_urgent_needs_always_reach_the_shop() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let shops = shops(&app, &world).await;
    let (sleeper, on_call) = (shops[0], shops[1]);
    set(&app, on_call, SettingsChange::UrgentAlways(true)).await;
    let night = at(0, 23, 0);
    let morning = at(1, 8, 0);
    let deadline = local_date(night) + Duration::days(20);
    let normal = post(
        &app,
        world.a(),
        Ask(Category::Food, "夜里登记的米", 2, Urgency::Normal, deadline),
        night,
    )
    .await;
    let urgent = post(
        &app,
        world.a(),
        Ask(Category::Food, "急需的奶粉", 1, Urgency::Urgent, deadline),
        night,
    )
    .await;

    for (need, shop, expected) in [
        (normal, sleeper, morning),
        (normal, on_call, morning),
        (urgent, sleeper, morning),
        (urgent, on_call, night),
    ] {
        let row = alert_row(&app, need, shop).await.expect("queued");
        assert_eq!(row.next_attempt_at, expected, "need {need} to shop {shop}");
    }
    let passed_cap = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM need_alerts WHERE need_id = {urgent} AND merchant_id = {on_call} AND counts_to_cap = {}", if app.is_postgres() { "false" } else { "0" }),
    )
    .await;
    assert_eq!(passed_cap, 1);

    // The sender takes a row only when its time has come.
    app.send_telegram_due(night).await;
    assert_eq!(
        app.tg().sent_to(7001).len(),
        1,
        "the urgent need reaches the shop on call"
    );
    assert!(app.tg().sent_to(7001)[0].text.contains("急需的奶粉"));
    assert!(app.tg().sent_to(7000).is_empty(), "the other shop sleeps");
    app.send_telegram_due(morning).await;
    let woke = app.tg().wait_for(7000, 2, crate::support::bot::REPLY_WITHIN).await;
    assert!(woke.iter().any(|m| m.text.contains("夜里登记的米")), "{woke:?}");
    assert_eq!(
        app.tg()
            .wait_for(7001, 2, crate::support::bot::REPLY_WITHIN)
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn the_daily_cap_holds_per_local_day_and_urgent_needs_always_pass_it() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let shop = shops(&app, &world).await[0];
    set(&app, shop, SettingsChange::DailyCap(2)).await;
    set(&app, shop, SettingsChange::QuietHours(None)).await;
    let t0 = at(0, 10, 0);
    let deadline = local_date(t0) + Duration::days(20);
    let mut posted = Vec::new();
    for i in 0..3 {
        posted.push(
            post(
                &app,
                world.a(),
                Ask(Category::Food, &format!("盒饭{i}"), 1, Urgency::Normal, deadline),
                t0,
            )
            .await,
        );
    }
    assert_eq!(alerted(&app, posted[0]).await, vec![shop]);
    assert_eq!(alerted(&app, posted[1]).await, vec![shop]);
    assert!(
        alerted(&app, posted[2]).await.is_empty(),
        "the third waits: the cap is two"
    );
    let urgent = post(
        &app,
        world.a(),
        Ask(Category::Food, "急需盒饭", 1, Urgency::Urgent, deadline),
        t0,
    )
    .await;
    assert!(
        alerted(&app, urgent).await.is_empty(),
        "urgent needs are capped too by default"
    );

    set(&app, shop, SettingsChange::UrgentAlways(true)).await;
    let urgent2 = post(
        &app,
        world.a(),
        Ask(Category::Food, "又一份急需", 1, Urgency::Urgent, deadline),
        t0,
    )
    .await;
    assert_eq!(
        alerted(&app, urgent2).await,
        vec![shop],
        "urgent needs always: past the cap"
    );

    // Twelve hours later it is still the same local day (22:00): still capped, and the
    // need is not flagged — the shop may hear of it tomorrow.
    jobs::run_once(&app.db, t0 + Duration::hours(12)).await.expect("jobs");
    assert!(alerted(&app, posted[2]).await.is_empty());
    assert_eq!(flags(&app, posted[2]).await, 0);
    // The next morning the cap starts again.
    jobs::run_once(&app.db, t0 + Duration::hours(24)).await.expect("jobs");
    assert_eq!(alerted(&app, posted[2]).await, vec![shop]);
}

#[tokio::test]
async fn a_need_near_its_deadline_is_flagged_to_the_office_once() {
    let app = TestApp::spawn().await;
    // Six shops: the second rung (at 22:00) still finds one, so the ladder is not exhausted.
    let world = app.world(6).await;
    shops(&app, &world).await;
    let t0 = at(0, 10, 0);
    let tomorrow = local_date(t0) + Duration::days(1);
    let need = post(
        &app,
        world.a(),
        Ask(Category::Clothing, "冬衣", 1, Urgency::Normal, tomorrow),
        t0,
    )
    .await;
    let early = jobs::run_once(&app.db, t0).await.expect("jobs");
    assert_eq!(early.flagged, 0, "38 hours left");
    // At midnight 24 hours are left: flagged, once.
    let midnight = at(1, 0, 0);
    let runs = join_all((0..3).map(|_| jobs::run_once(&app.db, midnight))).await;
    let flagged: u64 = runs.into_iter().map(|r| r.expect("jobs").flagged).sum();
    assert_eq!(flagged, 1);
    assert_eq!(flags(&app, need).await, 1);
    let reason = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM need_ladders WHERE need_id = {need} AND flag_reason = 'near_deadline' AND next_rung_at IS NOT NULL"),
    )
    .await;
    assert_eq!(reason, 1, "flagged, and the ladder goes on");
}

#[tokio::test]
async fn a_digest_gathers_the_days_alerts_into_one_message_once() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let shop = shops(&app, &world).await[0];
    set(&app, shop, SettingsChange::Mode(AlertMode::Digest)).await;
    let t0 = at(0, 10, 0);
    let deadline = local_date(t0) + Duration::days(20);
    let rice = post(
        &app,
        world.a(),
        Ask(Category::Food, "大米", 2, Urgency::Normal, deadline),
        t0,
    )
    .await;
    let oil = post(
        &app,
        world.a(),
        Ask(Category::Food, "食用油", 2, Urgency::Normal, deadline),
        t0 + Duration::hours(2),
    )
    .await;
    assert!(alert_row(&app, rice, shop).await.is_none(), "no message of its own");
    assert_eq!(alerted(&app, oil).await, vec![shop]);

    let six = at(0, 18, 0);
    assert_eq!(
        jobs::run_once(&app.db, six - Duration::minutes(1))
            .await
            .expect("jobs")
            .digests,
        0
    );
    let runs = join_all((0..3).map(|_| jobs::run_once(&app.db, six))).await;
    let digests: u64 = runs.into_iter().map(|r| r.expect("jobs").digests).sum();
    assert_eq!(digests, 1, "once, whoever runs the jobs");
    let rows = digest_rows(&app).await;
    assert_eq!(rows.len(), 1);
    let payload: serde_json::Value = serde_json::from_str(&rows[0].payload).expect("json");
    assert_eq!(payload["need_ids"], serde_json::json!([rice, oil]));
    assert_eq!(rows[0].next_attempt_at, six);

    let render = |kind: String, payload: String| {
        let db = app.db.clone();
        async move {
            charity_relay::bot::outbox::render(&db, &kind, &payload, shop, bots::Locale::En)
                .await
                .expect("render")
                .expect("open needs")
        }
    };
    let (text, buttons) = render(rows[0].kind.clone(), rows[0].payload.clone()).await;
    assert_eq!(text, bots::text::alerts::digest_intro(bots::Locale::En, 2));
    assert!(buttons.is_empty(), "the heading has no buttons; each card has its own");
    let cards: Vec<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("merchant-need-alert"))
        .filter(outbox::Column::DedupeKey.starts_with(format!("{}:need:", rows[0].dedupe_key)))
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .expect("cards");
    assert_eq!(cards.len(), 2, "one card a need, queued after the heading");
    assert!(cards.iter().all(|c| c.id > rows[0].id && c.next_attempt_at == six));
    for (card, need, title) in [(&cards[0], rice, "大米"), (&cards[1], oil, "食用油")] {
        let (text, buttons) = render(card.kind.clone(), card.payload.clone()).await;
        assert!(text.contains(title), "{text}");
        let own: Vec<String> = buttons.iter().flatten().map(|b| b.1.clone()).collect();
        assert_eq!(
            own,
            [
                bots::Action::ClaimAll(need).encode(),
                bots::Action::ClaimPart(need).encode()
            ]
        );
    }
    // A digest queued before the cards were messages of their own still lists them, with buttons.
    let legacy = serde_json::json!({ "need_ids": [rice, oil], "date": "2026-12-01" }).to_string();
    let (text, buttons) = render(rows[0].kind.clone(), legacy).await;
    assert!(text.contains("大米") && text.contains("食用油"), "{text}");
    assert_eq!(buttons[1][0].1, bots::Action::ClaimAll(oil).encode());

    // A need alerted after six goes into tomorrow's digest.
    let late = post(
        &app,
        world.a(),
        Ask(Category::Food, "面条", 2, Urgency::Normal, deadline),
        at(0, 19, 0),
    )
    .await;
    jobs::run_once(&app.db, at(0, 23, 0)).await.expect("jobs");
    assert_eq!(digest_rows(&app).await.len(), 1);
    jobs::run_once(&app.db, at(1, 18, 0)).await.expect("jobs");
    let rows = digest_rows(&app).await;
    assert_eq!(rows.len(), 2);
    let payload: serde_json::Value = serde_json::from_str(&rows[1].payload).expect("json");
    assert_eq!(payload["need_ids"], serde_json::json!([late]));
}

async fn digest_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("merchant-need-digest"))
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .expect("digests")
}

#[tokio::test]
async fn a_shops_list_puts_a_fitting_nearby_need_first_and_an_unrelated_one_last() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let shop = shops(&app, &world).await[0];
    let now = Utc::now();
    let far = community(&app, ["海山社区", "Haishan", "海山街道", "Haishan"]).await;
    let far_org = org_a_in(&app, &world, far).await;
    let deadline = local_date(now) + Duration::days(20);
    // Oldest first: an urgent need elsewhere of a kind the shop does not offer, a need
    // nearby of another kind, then — newest — food nearby, which the shop offers.
    let unrelated = post(
        &app,
        &far_org,
        Ask(Category::Clothing, "海山冬衣", 1, Urgency::Urgent, deadline),
        now - Duration::days(3),
    )
    .await;
    let nearby = post(
        &app,
        world.a(),
        Ask(Category::Medicine, "东和药品", 1, Urgency::Normal, deadline),
        now - Duration::days(2),
    )
    .await;
    let fitting = post(
        &app,
        world.a(),
        Ask(Category::Food, "东和盒饭", 2, Urgency::Normal, deadline),
        now,
    )
    .await;

    let (page, more) = matching::ordered_needs(&app.db, shop, matching::Filter::default(), 0, 3, now)
        .await
        .expect("list");
    let order: Vec<i64> = page.iter().map(|c| c.id).collect();
    assert_eq!(order, vec![fitting, nearby, unrelated]);
    assert!(!more);
    let (page, _) = matching::ordered_needs(
        &app.db,
        shop,
        matching::Filter {
            category: Some(Category::Clothing),
            community_id: None,
        },
        0,
        3,
        now,
    )
    .await
    .expect("filtered");
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![unrelated]);
}

/// A new community: its name and its subdistrict's, each in Chinese and English.
async fn community(app: &TestApp, [name, en, sub, sub_en]: [&str; 4]) -> i64 {
    charity_relay::services::organizations::create_community(&app.db, name, en, sub, sub_en, Utc::now())
        .await
        .expect("community")
}

/// Organization A, posting for a new beneficiary living in `community`.
async fn org_a_in(app: &TestApp, world: &World, community: i64) -> Org {
    Org {
        id: world.a().id,
        token: world.a().token.clone(),
        worker: world.a().worker,
        beneficiary_id: beneficiary_in(app, world, community).await,
    }
}

/// A beneficiary of organization A living in `community`.
async fn beneficiary_in(app: &TestApp, world: &World, community: i64) -> i64 {
    let form = charity_relay::services::beneficiaries::BeneficiaryInput {
        community_id: community.to_string(),
        group: "child_in_hardship".into(),
        full_name: "测试".into(),
        ..Default::default()
    };
    charity_relay::services::beneficiaries::register(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        &form,
        Utc::now(),
    )
    .await
    .expect("beneficiary")
    .id
}

#[tokio::test]
async fn the_ladder_sees_every_change_to_the_shops_at_once_even_one_stamped_with_an_old_clock() {
    let app = TestApp::spawn().await;
    let world = app.world(8).await;
    let shops = shops(&app, &world).await;
    let t0 = at(0, 9, 0);
    let ask = |title| {
        Ask(
            Category::Food,
            title,
            10,
            Urgency::Normal,
            local_date(t0) + Duration::days(20),
        )
    };

    // The first need: the five with the highest credit.
    let first = post(&app, world.a(), ask("盒饭十份"), t0).await;
    assert_eq!(
        alerted(&app, first).await,
        shops.iter().rev().take(5).copied().collect::<Vec<_>>()
    );

    // The shop with the lowest credit earns the best, written without touching `updated_at`
    // (the cached list of shops must notice all the same), and the best one is suspended.
    let (lowest, best) = (shops[0], shops[shops.len() - 1]);
    merchant::Entity::update_many()
        .col_expr(merchant::Column::CreditScore, Expr::value(100))
        .filter(merchant::Column::Id.eq(lowest))
        .exec(&app.db)
        .await
        .expect("credit");
    merchant::Entity::update_many()
        .col_expr(merchant::Column::Status, Expr::value("suspended"))
        .filter(merchant::Column::Id.eq(best))
        .exec(&app.db)
        .await
        .expect("suspend");

    let second = post(&app, world.a(), ask("盒饭再十份"), t0).await;
    let chosen = alerted(&app, second).await;
    assert_eq!(chosen.first(), Some(&lowest), "{chosen:?}");
    assert!(!chosen.contains(&best), "a suspended shop is not alerted: {chosen:?}");
}

#[tokio::test]
async fn the_ladders_one_query_of_a_shops_load_agrees_with_the_full_one() {
    let app = TestApp::spawn().await;
    let world = app.world(4).await;
    let shops = shops(&app, &world).await;
    let now = at(0, 10, 0);
    let deadline = local_date(now) + Duration::days(20);
    let food = post(
        &app,
        world.a(),
        Ask(Category::Food, "盒饭", 10, Urgency::Normal, deadline),
        now,
    )
    .await;
    let clothes = post(
        &app,
        world.a(),
        Ask(Category::Clothing, "冬衣", 10, Urgency::Normal, deadline),
        now,
    )
    .await;
    for (i, shop) in shops.iter().enumerate().take(3) {
        let caller = Caller::Merchant {
            merchant_id: *shop,
            token_id: None,
        };
        claims::claim_need(&app.db, &caller, food, 1 + i as i32, None, now)
            .await
            .expect("food");
        claims::claim_need(&app.db, &caller, clothes, 2, None, now)
            .await
            .expect("clothes");
    }
    let full = matching::usage(&app.db, &shops, now).await.expect("usage");
    let food_only = matching::usage_for(&app.db, &shops, Category::Food, now)
        .await
        .expect("usage");
    for shop in &shops {
        let (a, b) = (
            full.get(shop).cloned().unwrap_or_default(),
            food_only.get(shop).cloned().unwrap_or_default(),
        );
        assert_eq!(a.recent_claims, b.recent_claims, "shop {shop}");
        assert_eq!(
            a.used_this_month.get(&Category::Food),
            b.used_this_month.get(&Category::Food),
            "shop {shop}"
        );
    }
    assert_eq!(food_only[&shops[2]].used_this_month[&Category::Food], 3);
    assert_eq!(food_only[&shops[2]].recent_claims, 2);
}

/// The promise of the pre-selection: a shop's first pages are the best of every open need,
/// as if each had been scored, however many lists the shop's offers make.
#[tokio::test]
async fn a_shops_first_pages_are_the_best_of_every_open_need_scored_one_by_one() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let shop = world.merchants[0].id;
    let now = Utc::now();
    let places = [
        world.community_id,
        community(&app, ["海山社区", "Haishan", "海山街道", "Haishan"]).await,
        community(&app, ["沙头角社区", "Shatoujiao", "沙头角街道", "Shatoujiao"]).await,
    ];
    // Six lists of (kind, place), three places, two kinds, the board: ten lists in all.
    for (category, served) in [
        (Category::Food, vec![places[0], places[1]]),
        (Category::Medicine, vec![places[0], places[2]]),
    ] {
        let offer = offers::NewOffer {
            category,
            description: "长期供应".into(),
            monthly_capacity: 30,
            community_ids: served,
        };
        offers::add(&app.db, shop, offer, now).await.expect("offer");
    }
    let mut orgs = Vec::new();
    for place in places {
        orgs.push(org_a_in(&app, &world, place).await);
    }
    // More needs than any one list holds, of every kind, place, urgency and age.
    let kinds = [
        Category::Food,
        Category::Medicine,
        Category::Clothing,
        Category::Tutoring,
    ];
    let deadline = local_date(now) + Duration::days(20);
    for i in 0..96_i64 {
        let urgency = if i % 5 == 0 { Urgency::Urgent } else { Urgency::Normal };
        let ask = Ask(kinds[(i % 4) as usize], "需要", 1 + (i % 3) as i32, urgency, deadline);
        post(
            &app,
            &orgs[(i / 4 % 3) as usize],
            ask,
            now - Duration::hours(i * 7 % 97),
        )
        .await;
    }

    let everything = |filter: matching::Filter| {
        let db = app.db.clone();
        async move {
            let communities = matching::communities(&db).await.expect("communities");
            let merchant = matching::merchants(&db, &communities, Some(shop))
                .await
                .expect("shop")
                .pop()
                .expect("the shop");
            let usage = matching::usage(&db, &[shop], now).await.expect("usage");
            let facts = merchant.facts(&usage.get(&shop).cloned().unwrap_or_default());
            let open = charity_relay::entities::need::Entity::find()
                .filter(charity_relay::entities::need::Column::Status.eq("open"))
                .all(&db)
                .await
                .expect("needs");
            let mut scored: Vec<(f64, matching::NeedRow)> = open
                .iter()
                .map(matching::NeedRow::from)
                .filter(|n| filter.category.is_none_or(|c| c == n.category))
                .filter(|n| filter.community_id.is_none_or(|c| c == n.community_id))
                .map(|n| (score(&matching::need_facts(&n, &communities, now), &facts), n))
                .collect();
            scored.sort_by(|(sa, a), (sb, b)| {
                sb.total_cmp(sa)
                    .then(a.created_at.cmp(&b.created_at))
                    .then(a.id.cmp(&b.id))
            });
            scored.into_iter().map(|(_, n)| n.id).collect::<Vec<i64>>()
        }
    };
    for filter in [
        matching::Filter::default(),
        matching::Filter {
            category: Some(Category::Medicine),
            community_id: None,
        },
        matching::Filter {
            category: None,
            community_id: Some(places[2]),
        },
        matching::Filter {
            category: Some(Category::Clothing),
            community_id: Some(places[1]),
        },
    ] {
        let best = everything(filter).await;
        assert!(best.len() >= 8, "{filter:?} has needs to rank: {}", best.len());
        for page in 0..2_u32 {
            let (cards, _) = matching::ordered_needs(&app.db, shop, filter, page, 4, now)
                .await
                .expect("list");
            let listed: Vec<i64> = cards.iter().map(|c| c.id).collect();
            let want: Vec<i64> = best.iter().skip(page as usize * 4).take(4).copied().collect();
            assert_eq!(listed, want, "{filter:?}, page {page}");
        }
    }
}

/// However urgent the need and however good the shop, a shop that neither offers its kind
/// nor serves its community is not asked — not even one in the same subdistrict.
#[tokio::test]
async fn an_urgent_need_reaches_no_shop_that_neither_offers_its_kind_nor_serves_its_community() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let shops = shops(&app, &world).await;
    merchant::Entity::update_many()
        .col_expr(merchant::Column::CreditScore, Expr::value(100))
        .exec(&app.db)
        .await
        .expect("best credit");
    let now = Utc::now();
    // Next door: another community of the shops' own subdistrict.
    let next_door = community(&app, ["海港社区", "Haigang", "沙头角街道", "Shatoujiao"]).await;
    let org = org_a_in(&app, &world, next_door).await;
    let deadline = local_date(now) + Duration::days(20);
    let coats = post(
        &app,
        &org,
        Ask(Category::Clothing, "冬衣", 1, Urgency::Urgent, deadline),
        now,
    )
    .await;
    assert_eq!(
        alerted(&app, coats).await,
        Vec::<i64>::new(),
        "nobody sells coats or serves 海港"
    );
    // Twelve hours on, the next rung finds nobody either, and the office hears of it.
    jobs::run_once(&app.db, now + Duration::hours(12)).await.expect("jobs");
    assert_eq!(alerted(&app, coats).await, Vec::<i64>::new());
    assert_eq!(flags(&app, coats).await, 1);
    // The same shops are asked for what they offer there.
    let meals = post(
        &app,
        &org,
        Ask(Category::Food, "盒饭", 1, Urgency::Urgent, deadline),
        now,
    )
    .await;
    let mut asked = alerted(&app, meals).await;
    asked.sort_unstable();
    assert_eq!(asked, shops);
}
