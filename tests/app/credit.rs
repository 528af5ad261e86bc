//! Credit that is used (信用评价及结果运用): a shop with a long poor record (band D) holds one
//! claim at a time and is told why, hears of no new needs, and is lifted out by good
//! deliveries; a band A shop is offered urgent needs first; an organization's record — on
//! time and late confirmations, a need refused for naming its person, a dispute the office
//! settled against it, a referral left unanswered — gives its band, which its social
//! workers read explained on `/credit` and the office reads on its list; the shop reads its
//! own in the bot with `/credit`; and the public page never shows a band.

use bots::text::{self, credit as credit_text};
use bots::{Action, CreditBand, CreditView, DeskError, Locale};
use charity_relay::domain::claim::DisputeResolution;
use charity_relay::domain::credit::OrganizationRecord;
use charity_relay::domain::need_input::NeedInput;
use charity_relay::domain::{Category, ClaimStatus, NeedStatus};
use charity_relay::entities::{claim, merchant, need};
use charity_relay::services::access::Caller;
use charity_relay::services::claims::{self, Confirmation};
use charity_relay::services::{merchants, needs, offers, organization_credit, organizations};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement};

use crate::referrals::{b_offers_elder_care, refer};
use crate::support::world::{Org, PLANTED_NAME, World};
use crate::support::{TestApp, scalar_i64};

/// Gives `merchant_id` a long poor record: ten claims that lapsed four months ago, then two
/// deliveries on time rated one star a month ago (so nothing lapsed recently and no lapse
/// streak holds it back). Its credit score is 30: band D.
async fn give_poor_record(app: &TestApp, world: &World, merchant_id: i64) {
    let now = Utc::now();
    let long_ago = now - Duration::days(125);
    let history = history_need(app, world, 12, long_ago).await;
    for i in 0..12 {
        let lapsed = i < 10;
        let (start, rating) = if lapsed {
            (long_ago, None)
        } else {
            (now - Duration::days(31), Some(1))
        };
        claim::ActiveModel {
            need_id: Set(history),
            merchant_id: Set(merchant_id),
            quantity: Set(1),
            status: Set(if lapsed {
                ClaimStatus::Lapsed
            } else {
                ClaimStatus::Confirmed
            }),
            handoff_code: Set("ACDEFG".into()),
            idempotency_key: Set(None),
            due_at: Set(start + Duration::days(3)),
            remind_at: Set(start + Duration::days(2)),
            reminded_at: Set(None),
            delivered_at: Set((!lapsed).then_some(start + Duration::days(1))),
            confirmed_at: Set((!lapsed).then_some(start + Duration::days(1))),
            ended_at: Set(lapsed.then_some(start + Duration::days(5))),
            rating: Set(rating),
            version: Set(0),
            created_at: Set(start),
            updated_at: Set(start + Duration::days(5)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("history claim");
    }
}

/// A fulfilled need of organization A, posted at `at`, to hang a history of claims on.
async fn history_need(app: &TestApp, world: &World, quantity: i32, at: DateTime<Utc>) -> i64 {
    need::ActiveModel {
        organization_id: Set(world.a().id),
        beneficiary_id: Set(world.a().beneficiary_id),
        community_id: Set(world.community_id),
        drop_off_point_id: Set(None),
        posted_by: Set(None),
        category: Set("food".into()),
        title: Set("往期需求".into()),
        description: Set(String::new()),
        quantity: Set(quantity),
        unit: Set("份".into()),
        claimed: Set(quantity),
        delivered: Set(quantity),
        urgency: Set("normal".into()),
        deadline: Set(at.date_naive() + Duration::days(30)),
        recurrence: Set("none".into()),
        estimated_value_cents: Set(None),
        claim_days: Set(7),
        status: Set(NeedStatus::Fulfilled),
        version: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        reopened_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("history need")
    .id
}

async fn stored_score(app: &TestApp, merchant_id: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT credit_score FROM merchants WHERE id = {merchant_id}"),
    )
    .await
}

/// Posts a need of `quantity` bags as `org`'s social worker at `at`, optionally urgent.
async fn post_at(app: &TestApp, org: &Org, title: &str, quantity: i32, urgent: bool, at: DateTime<Utc>) -> i64 {
    let input = NeedInput {
        beneficiary_id: org.beneficiary_id.to_string(),
        category: "food".into(),
        title: title.into(),
        description: "社工核实后发布。".into(),
        quantity: quantity.to_string(),
        unit: "袋".into(),
        deadline: (at + Duration::days(30)).date_naive().to_string(),
        urgency: if urgent { "urgent".into() } else { String::new() },
        ..Default::default()
    };
    let draft = input.parse(at.date_naive()).expect("valid need");
    needs::post_need(&app.db, &app.config.secret_key, &org.worker, draft, at)
        .await
        .expect("post need")
        .id
}

#[tokio::test]
async fn a_band_d_shop_holds_one_claim_at_a_time_is_told_why_and_good_deliveries_lift_it() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (low, new_shop) = (&world.merchants[0], &world.merchants[1]);
    give_poor_record(&app, &world, low.id).await;
    let mut needs = Vec::new();
    for title in ["米和食用油", "冬季棉被", "牛奶"] {
        needs.push(post_at(&app, world.a(), title, 2, false, Utc::now()).await);
    }

    // Its first claim is taken, and the stored score (which the alerts read) catches up.
    let (status, body) = app.claim(&low.token, needs[0], 1).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(stored_score(&app, low.id).await, 30);

    // A second one is refused while it holds the first: why, in words, and what lifts it.
    let (status, body) = app.claim(&low.token, needs[1], 1).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (409, Some("credit-band-limit")),
        "{body}"
    );
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("D 级") && detail.contains("按时送达"), "{detail}");
    let path = format!("/api/v1/needs/{}/claims", needs[1]);
    let en: serde_json::Value = app
        .api_request("POST", &path, &low.token, Some(serde_json::json!({ "quantity": 1 })))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("claim")
        .json()
        .await
        .expect("problem");
    let detail = en["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("band D") && detail.contains("on time"), "{en}");

    // A new shop starts in band B and may hold three as before.
    for need in &needs {
        let (status, body) = app.claim(&new_shop.token, *need, 1).await;
        assert_eq!(status, 201, "{body}");
    }

    // Good deliveries rated well lift the shop out of band D: the usual limit applies again.
    app.give_good_record(&world, low.id, 14).await;
    let (status, body) = app.claim(&low.token, needs[1], 1).await;
    assert_eq!(status, 201, "{body}");
    assert!(stored_score(&app, low.id).await >= 50, "band B again");
    let credit = merchants::credit(&app.db, low.id, Utc::now()).await.expect("credit");
    assert_eq!(credit.band, charity_relay::domain::credit::CreditBand::B);
    assert_eq!(credit.holding, 2);
}

/// Links `merchant_id` to a chat (alerts reach only linked shops) and gives it a food offer
/// in `community_id`.
async fn alertable_shop(app: &TestApp, merchant_id: i64, chat: i64, community_id: i64) {
    merchant::Entity::update_many()
        .col_expr(merchant::Column::TelegramChatId, Expr::value(chat))
        .filter(merchant::Column::Id.eq(merchant_id))
        .exec(&app.db)
        .await
        .expect("link");
    let offer = offers::NewOffer {
        category: Category::Food,
        description: "每周盒饭".into(),
        monthly_capacity: 20,
        community_ids: vec![community_id],
    };
    offers::add(&app.db, merchant_id, offer, Utc::now())
        .await
        .expect("offer");
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

#[tokio::test]
async fn a_band_a_shop_hears_of_urgent_needs_first_and_a_band_d_shop_of_none() {
    let app = TestApp::spawn().await;
    let world = app.world(8).await;
    let now = Utc::now();
    let elsewhere = organizations::create_community(&app.db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    let ids: Vec<i64> = world.merchants.iter().map(|m| m.id).collect();
    // Six shops in band B serve the need's community: the best fit.
    for (i, id) in ids[..6].iter().enumerate() {
        alertable_shop(&app, *id, 8100 + i as i64, world.community_id).await;
    }
    // A band A shop offers food in another community: a weaker fit for these needs.
    let (top, low) = (ids[6], ids[7]);
    alertable_shop(&app, top, 8106, elsewhere).await;
    app.give_good_record(&world, top, 10).await;
    // A band D shop serves the community too.
    alertable_shop(&app, low, 8107, world.community_id).await;
    give_poor_record(&app, &world, low).await;
    // Each reads its credit (the stored score catches up, as the alerts go by it).
    for id in [top, low] {
        merchants::credit(&app.db, id, now).await.expect("credit");
    }
    assert!(stored_score(&app, top).await >= 85);
    assert!(stored_score(&app, low).await < 40);

    // An urgent need: the band A shop is on the first rung, first; the band D shop is not alerted.
    let urgent = post_at(&app, world.a(), "急需盒饭", 5, true, now).await;
    let first_rung = alerted(&app, urgent).await;
    assert_eq!(first_rung, vec![top, ids[0], ids[1], ids[2], ids[3]], "band A first");

    // A normal need goes by fit alone: the five best-fitting band B shops.
    let normal = post_at(&app, world.a(), "盒饭", 5, false, now).await;
    assert_eq!(alerted(&app, normal).await, ids[..5].to_vec());

    // Every rung of both: the band D shop never hears of either.
    let policy = charity_relay::domain::alerts::LadderPolicy::default();
    for rung in 0..3 {
        let later = now + Duration::hours(policy.rung_hours * (rung + 1) + 1);
        charity_relay::services::alerts::run_ladder(&app.db, &policy, later)
            .await
            .expect("ladder");
    }
    for need in [urgent, normal] {
        let all = alerted(&app, need).await;
        assert!(!all.contains(&low), "{all:?}");
        assert_eq!(all.len(), 7, "every other shop heard in time: {all:?}");
    }
    // It may still browse them and claim one.
    let (status, body) = app.claim(&world.merchants[7].token, normal, 1).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn an_organization_reads_its_band_explained_and_the_office_sees_every_band() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let mut office = b_offers_elder_care(&app, &world).await;
    let office_id = scalar_i64(&app.db, "SELECT id FROM staff WHERE email = 'office@example.org'").await;
    let shop = Caller::Merchant {
        merchant_id: world.merchants[0].id,
        token_id: None,
    };
    let worker = &world.a().worker;
    let now = Utc::now();
    let t0 = now - Duration::days(8);

    // A delivery confirmed the next day counts for organization A; one left waiting five
    // days counts against it.
    let rice = post_at(&app, world.a(), "米和食用油", 2, false, t0).await;
    let on_time = claims::claim_need(&app.db, &shop, rice, 1, None, t0)
        .await
        .expect("claim")
        .claim;
    claims::mark_delivered(&app.db, &shop, on_time.id, t0 + Duration::days(1))
        .await
        .expect("delivered");
    claims::confirm(
        &app.db,
        worker,
        on_time.id,
        Confirmation::default(),
        t0 + Duration::days(2),
    )
    .await
    .expect("confirmed");
    let waiting = claims::claim_need(&app.db, &shop, rice, 1, None, t0)
        .await
        .expect("claim")
        .claim;
    claims::mark_delivered(&app.db, &shop, waiting.id, now - Duration::days(5))
        .await
        .expect("delivered");

    // A delivery A disputed, which the office checked and confirmed as delivered.
    let quilt = post_at(&app, world.a(), "冬季棉被", 1, false, t0).await;
    let disputed = claims::claim_need(&app.db, &shop, quilt, 1, None, t0)
        .await
        .expect("claim")
        .claim;
    claims::mark_delivered(&app.db, &shop, disputed.id, t0 + Duration::days(1))
        .await
        .expect("delivered");
    claims::dispute(&app.db, worker, disputed.id, "没有收到棉被", t0 + Duration::days(2))
        .await
        .expect("disputed");
    let office_caller = Caller::Admin {
        staff_id: office_id,
        subdistrict_id: crate::support::scalar_i64(
            &app.db,
            &format!("SELECT subdistrict_id FROM staff WHERE id = {office_id}"),
        )
        .await,
    };
    claims::resolve_dispute(
        &app.db,
        &office_caller,
        disputed.id,
        DisputeResolution::Confirm,
        t0 + Duration::days(3),
    )
    .await
    .expect("the office confirms");

    // A need whose title names its person is refused, and the refusal is recorded without
    // the name.
    let named = NeedInput {
        beneficiary_id: world.a().beneficiary_id.to_string(),
        category: "food".into(),
        title: format!("{PLANTED_NAME}的大米"),
        quantity: "1".into(),
        unit: "袋".into(),
        deadline: (now + Duration::days(10)).date_naive().to_string(),
        ..Default::default()
    }
    .parse(now.date_naive())
    .expect("the form itself is valid");
    let refused = needs::post_need(&app.db, &app.config.secret_key, worker, named, now).await;
    assert!(refused.is_err(), "the guard refuses it");
    let recorded = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'need.post' AND outcome = 'denied' \
             AND organization_id = {} AND detail LIKE '%data_quality%' AND detail LIKE '%title%' \
             AND detail NOT LIKE '%{PLANTED_NAME}%'",
            world.a().id
        ),
    )
    .await;
    assert_eq!(recorded, 1);

    // A referral to B, left unanswered: late once its due date passes.
    let mut station = app.login("worker0@example.org").await;
    refer(&mut station, &world, &[]).await;

    let a = organization_credit::record(&app.db, world.a().id, now)
        .await
        .expect("record");
    assert_eq!(
        a,
        OrganizationRecord {
            needs_fulfilled: 1,
            confirmed_on_time: 2,
            confirmed_late: 1,
            data_quality_refusals: 1,
            disputes_lost: 1,
            ..Default::default()
        }
    );
    // (3 + 7) / (3 + 1 + 1 + 2 + 10) = 59 points: band B.
    assert_eq!((a.score(), a.band().letter()), (59, "B"));
    let b_now = organization_credit::record(&app.db, world.b().id, now)
        .await
        .expect("record");
    assert_eq!(b_now, OrganizationRecord::default(), "not due yet");
    let b_later = organization_credit::record(&app.db, world.b().id, now + Duration::days(10))
        .await
        .expect("record");
    assert_eq!(b_later.referrals_late, 1);
    let band = organization_credit::band(&app.db, world.b().id, now)
        .await
        .expect("band");
    assert_eq!(band.letter(), "B", "a new organization starts in band B");

    // A's social worker reads its band explained: the figures, the formula, the way up.
    let (status, page) = station.get("/credit").await;
    assert_eq!(status, 200);
    assert!(page.contains("沙头角街道社工站：B 级 · 良好（59 分）"), "{page}");
    assert!(
        page.contains(r#"<td class="lead">提出异议后，经街道办核实确认送达无误的</td><td data-label="本机构">1</td><td class="meta" data-label="计为">每项 2 条不良记录</td>"#),
        "{page}"
    );
    assert!(page.contains("达到 85 分即升为A 级 · 优秀"), "{page}");
    assert!(!page.contains(PLANTED_NAME));
    // The dashboard links to it.
    let (_, dashboard) = station.get("/").await;
    assert!(dashboard.contains("href=\"/credit\""));
    // The same in English.
    station.post("/settings/language", &[("lang", "en")]).await;
    let (_, english) = station.get("/credit").await;
    assert!(
        english.contains("沙头角街道社工站: Band B · good (59 points)"),
        "{english}"
    );
    assert!(
        english.contains("At 85 points you reach Band A · excellent"),
        "{english}"
    );
    assert!(!english.contains("信用"), "no Chinese left on the English page");
    // B's worker reads B's own: no other organization's.
    let mut association = app.login("worker1@example.org").await;
    let (status, theirs) = association.get("/credit").await;
    assert_eq!(status, 200);
    assert!(theirs.contains("盐田区妇女互助会：B 级 · 良好（70 分）"), "{theirs}");
    assert!(!theirs.contains("沙头角街道社工站"));

    // The office reads every band on its list, with what it comes from; /credit sends it there.
    let (_, list) = office.get("/admin/organizations").await;
    assert!(list.contains("B 级 · 良好</span> 59 分"), "{list}");
    assert!(
        list.contains("按时确认 2、逾期确认 1、写明受助人信息被退回 1、异议经核实不成立 1"),
        "{list}"
    );
    assert!(list.contains("尚无记录（新机构从 B 级起步）"), "{list}");
    let (_, merchants_list) = office.get("/admin/merchants").await;
    assert!(
        merchants_list.contains("B 级 · 良好</span> 60 分</td>"),
        "{merchants_list}"
    );
    let redirected = office.raw_get("/credit").send().await.expect("GET");
    assert_eq!(redirected.status(), 303);
    assert_eq!(
        redirected.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/admin/organizations")
    );

    // The public never sees a band.
    for lang in ["zh-CN", "en"] {
        let public = app
            .client
            .get(app.url("/transparency"))
            .header("Accept-Language", lang)
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("page");
        for band in charity_relay::domain::credit::CreditBand::ALL {
            for l in [charity_relay::domain::Locale::ZhCn, charity_relay::domain::Locale::En] {
                assert!(!public.contains(band.label(l)), "{}", band.label(l));
            }
        }
        assert!(!public.contains("信用等级") && !public.to_lowercase().contains("credit band"));
    }
    // Signed out, /credit is the sign-in page, not anyone's band.
    let anonymous = app.get("/credit").await;
    assert_ne!(anonymous.status(), 200);
}

/// A new shop's credit as `/credit` shows it.
fn new_shop_view() -> CreditView {
    CreditView {
        band: CreditBand::B,
        score: 60,
        next_band_at: Some(85),
        on_time: 0,
        late: 0,
        lapsed: 0,
        recent_lapses: 0,
        ratings: 0,
        rating_tenths: None,
        holding: 0,
        claim_limit: 3,
    }
}

#[tokio::test]
async fn a_shop_reads_its_band_in_the_bot_and_a_band_d_shop_is_told_why_it_may_not_claim_more() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let fresh = app.linked_chat(world.merchants[0].id, 1700, Locale::ZhCn).await;
    assert_eq!(
        fresh.send("/credit").await.text,
        credit_text::summary(Locale::ZhCn, &new_shop_view())
    );
    assert!(fresh.send("/help").await.text.contains("/credit"));

    let low = world.merchants[1].id;
    give_poor_record(&app, &world, low).await;
    let chat = app.linked_chat(low, 1701, Locale::En).await;
    let expected = CreditView {
        band: CreditBand::D,
        score: 30,
        next_band_at: Some(40),
        on_time: 2,
        lapsed: 10,
        ratings: 2,
        rating_tenths: Some(10),
        claim_limit: 1,
        ..new_shop_view()
    };
    let said = chat.send("/credit").await.text;
    assert_eq!(said, credit_text::summary(Locale::En, &expected));
    assert!(
        said.contains("one claim at a time") && said.contains("40 points"),
        "{said}"
    );

    // It claims one need; the next is refused before any question, in words that say why.
    let first = app.post_need_of(world.a(), "food", "米和食用油", 2, "袋").await;
    let second = app.post_need_of(world.a(), "food", "冬季棉被", 2, "床").await;
    chat.tap(&Action::ClaimAllYes(first, 2).encode()).await;
    let held = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM claims WHERE merchant_id = {low} AND need_id = {first}"),
    )
    .await;
    assert_eq!(held, 1);
    for action in [Action::ClaimPart(second), Action::ClaimAll(second)] {
        let refused = chat.tap(&action.encode()).await;
        assert_eq!(refused.text, text::refusal(Locale::En, &DeskError::CreditBandLimit));
    }
    let refused = chat.tap(&Action::ClaimAllYes(second, 2).encode()).await;
    assert_eq!(refused.text, text::refusal(Locale::En, &DeskError::CreditBandLimit));
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE need_id = {second}")
        )
        .await,
        0
    );
    // Its credit now counts the claim it holds.
    let now = chat.send("/credit").await.text;
    assert_eq!(
        now,
        credit_text::summary(Locale::En, &CreditView { holding: 1, ..expected })
    );
}
