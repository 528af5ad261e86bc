//! What the relay tells a merchant through the bot: the confirmation of a claim made
//! elsewhere, reminders at half-time and the day before, a lapse, thanks with the rating,
//! a dispute, a need that ended — in the merchant's language, once each; and what waited
//! for a chat arrives when the chat is linked.

use std::time::Duration;

use bots::Locale;
use bots::text::{self, Notice};
use charity_relay::entities::{claim, outbox};
use charity_relay::jobs;
use charity_relay::services::access::Caller;
use charity_relay::services::{claims, needs};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::bot::{Chat, REPLY_WITHIN};
use crate::support::{TestApp, scalar_i64};

/// The message after the first `before` ones.
async fn after(app: &TestApp, chat: &Chat<'_>, before: usize) -> String {
    app.wait_for_telegram(chat.id, before + 1, REPLY_WITHIN).await[before]
        .text
        .clone()
}

async fn set_claim(app: &TestApp, claim_id: i64, column: claim::Column, value: chrono::DateTime<Utc>) {
    claim::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .filter(claim::Column::Id.eq(claim_id))
        .exec(&app.db)
        .await
        .expect("update claim");
}

#[tokio::test]
async fn each_notification_reaches_the_merchant_once_in_its_language() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = &world.merchants[i];
        let me = Caller::Merchant {
            merchant_id: merchant.id,
            token_id: None,
        };
        let worker = world.a().worker;
        let chat = app.linked_chat(merchant.id, 3000 + i as i64, lang).await;
        let now = Utc::now();

        // A claim made through the API: the confirmation comes by bot.
        let need = app
            .post_need_of(world.a(), "food", &format!("食用油{i}"), 2, "桶")
            .await;
        let waiting = chat.received().len();
        let (status, body) = app.claim(&merchant.token, need, 2).await;
        assert_eq!(status, 201, "{body}");
        let confirmation = after(&app, &chat, waiting).await;
        let code = body["handoff_code"].as_str().expect("code");
        assert!(
            confirmation.contains(code) && confirmation.contains("2 桶"),
            "{confirmation}"
        );
        let claim_id = body["id"].as_i64().expect("id");

        // Half-time reminder.
        set_claim(
            &app,
            claim_id,
            claim::Column::RemindAt,
            now - chrono::Duration::minutes(1),
        )
        .await;
        let waiting = chat.received().len();
        jobs::run_once(&app.db, now).await.expect("jobs");
        let reminder = after(&app, &chat, waiting).await;
        assert!(
            reminder.contains(&format!("食用油{i}")) && reminder.contains("2 桶"),
            "{reminder}"
        );

        // The day before it is due.
        set_claim(
            &app,
            claim_id,
            claim::Column::CreatedAt,
            now - chrono::Duration::days(6),
        )
        .await;
        set_claim(&app, claim_id, claim::Column::DueAt, now + chrono::Duration::hours(20)).await;
        let waiting = chat.received().len();
        jobs::run_once(&app.db, now).await.expect("jobs");
        let tomorrow = after(&app, &chat, waiting).await;
        assert!(tomorrow.contains(&format!("食用油{i}")), "{tomorrow}");
        assert_ne!(tomorrow, reminder);

        // Delivered, then confirmed with a rating: thanks.
        claims::mark_delivered(&app.db, &me, claim_id, now)
            .await
            .expect("deliver");
        let waiting = chat.received().len();
        let confirm = claims::Confirmation {
            rating: Some("5".into()),
            handoff_code: None,
            by_office: false,
        };
        claims::confirm(&app.db, &worker, claim_id, confirm, now)
            .await
            .expect("confirm");
        let thanks = after(&app, &chat, waiting).await;
        assert_eq!(
            thanks,
            text::notice(
                lang,
                &Notice::Thanks {
                    title: format!("食用油{i}"),
                    quantity: 2,
                    unit: "桶".into(),
                    rating: Some(5),
                    hours: false,
                }
            )
        );

        // A dispute, in the worker's words.
        let need = app
            .post_need_of(world.a(), "clothing", &format!("棉被{i}"), 1, "床")
            .await;
        let waiting = chat.received().len();
        let claimed = claims::claim_need(&app.db, &me, need, 1, None, now)
            .await
            .expect("claim");
        after(&app, &chat, waiting).await;
        claims::mark_delivered(&app.db, &me, claimed.claim.id, now)
            .await
            .expect("deliver");
        let waiting = chat.received().len();
        claims::dispute(&app.db, &worker, claimed.claim.id, "尺寸不合适", now)
            .await
            .expect("dispute");
        let disputed = after(&app, &chat, waiting).await;
        assert_eq!(
            disputed,
            text::notice(
                lang,
                &Notice::Disputed {
                    title: format!("棉被{i}"),
                    reason: "尺寸不合适".into(),
                    hours: false,
                }
            )
        );
        claims::release(&app.db, &me, claimed.claim.id, now)
            .await
            .expect("release");

        // A lapse.
        let need = app
            .post_need_of(world.b(), "medicine", &format!("感冒药{i}"), 1, "盒")
            .await;
        let waiting = chat.received().len();
        let claimed = claims::claim_need(&app.db, &me, need, 1, None, now)
            .await
            .expect("claim");
        after(&app, &chat, waiting).await;
        set_claim(
            &app,
            claimed.claim.id,
            claim::Column::DueAt,
            now - chrono::Duration::days(3),
        )
        .await;
        set_claim(&app, claimed.claim.id, claim::Column::RemindedAt, now).await;
        let waiting = chat.received().len();
        jobs::run_once(&app.db, now).await.expect("jobs");
        assert_eq!(
            after(&app, &chat, waiting).await,
            text::notice(
                lang,
                &Notice::Lapsed {
                    title: format!("感冒药{i}"),
                    quantity: 1,
                    unit: "盒".into(),
                    hours: false,
                }
            )
        );

        // The need of an active claim is cancelled.
        let need = app
            .post_need_of(world.a(), "service", &format!("理发{i}"), 1, "次")
            .await;
        let waiting = chat.received().len();
        claims::claim_need(&app.db, &me, need, 1, None, now)
            .await
            .expect("claim");
        after(&app, &chat, waiting).await;
        let waiting = chat.received().len();
        needs::cancel_need(&app.db, &app.config.secret_key, &worker, need, "已由家人解决", now)
            .await
            .expect("cancel");
        assert_eq!(
            after(&app, &chat, waiting).await,
            text::notice(
                lang,
                &Notice::NeedEnded {
                    title: format!("理发{i}"),
                    expired: false,
                    reason: "已由家人解决".to_owned(),
                    hours: false,
                }
            )
        );
    }
    let dup = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND status = 'sent' AND kind <> 'bot-reply'",
    )
    .await;
    assert_eq!(
        dup as usize,
        app.tg().calls_of("sendMessage").iter().filter(|c| c.ok).count()
    );
}

/// Words of goods that a notice about volunteer hours must not use.
const GOODS_WORDS: [&str; 7] = [
    "送达",
    "交接码",
    "deliver",
    "Deliver",
    "Drop-off",
    "drop-off",
    "Handoff",
];

#[tokio::test]
async fn a_pledge_of_hours_is_told_of_in_words_of_serving() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = &world.merchants[i];
        let me = Caller::Merchant {
            merchant_id: merchant.id,
            token_id: None,
        };
        let worker = world.a().worker;
        let chat = app.linked_chat(merchant.id, 3300 + i as i64, lang).await;
        let now = Utc::now();
        let speaks_of_serving = |notice: &str| {
            for word in GOODS_WORDS {
                assert!(!notice.contains(word), "{word:?} in {notice}");
            }
        };

        // Pledged through the API: the confirmation names the service time, no drop-off
        // point and no handoff code.
        let title = format!("陪伴老人{i}");
        let need = app.post_need_of(world.a(), "volunteer_hours", &title, 4, "小时").await;
        let waiting = chat.received().len();
        let (status, body) = app.claim(&merchant.token, need, 2).await;
        assert_eq!(status, 201, "{body}");
        let claim_id = body["id"].as_i64().expect("id");
        let confirmation = after(&app, &chat, waiting).await;
        let service_time = match lang {
            Locale::ZhCn => "服务时间",
            Locale::En => "Service time",
        };
        assert!(
            confirmation.contains(service_time) && confirmation.contains("2 小时"),
            "{confirmation}"
        );
        speaks_of_serving(&confirmation);
        let code = body["handoff_code"].as_str().unwrap_or_default();
        assert!(code.is_empty() || !confirmation.contains(code), "{confirmation}");

        // Both reminders.
        set_claim(
            &app,
            claim_id,
            claim::Column::RemindAt,
            now - chrono::Duration::minutes(1),
        )
        .await;
        let waiting = chat.received().len();
        jobs::run_once(&app.db, now).await.expect("jobs");
        let reminder = after(&app, &chat, waiting).await;
        speaks_of_serving(&reminder);
        set_claim(
            &app,
            claim_id,
            claim::Column::CreatedAt,
            now - chrono::Duration::days(6),
        )
        .await;
        set_claim(&app, claim_id, claim::Column::DueAt, now + chrono::Duration::hours(20)).await;
        let waiting = chat.received().len();
        jobs::run_once(&app.db, now).await.expect("jobs");
        let tomorrow = after(&app, &chat, waiting).await;
        assert_eq!(
            tomorrow,
            text::notice(
                lang,
                &Notice::Reminder {
                    title: title.clone(),
                    quantity: 2,
                    unit: "小时".into(),
                    due: tomorrow_due(&app, claim_id).await,
                    tomorrow: true,
                    hours: true,
                }
            )
        );
        speaks_of_serving(&tomorrow);

        // Served, disputed, asked to serve again, served again and confirmed: thanks.
        claims::mark_delivered(&app.db, &me, claim_id, now)
            .await
            .expect("served");
        let waiting = chat.received().len();
        claims::dispute(&app.db, &worker, claim_id, "老人说没有来", now)
            .await
            .expect("dispute");
        let disputed = after(&app, &chat, waiting).await;
        assert_eq!(
            disputed,
            text::notice(
                lang,
                &Notice::Disputed {
                    title: title.clone(),
                    reason: "老人说没有来".into(),
                    hours: true,
                }
            )
        );
        speaks_of_serving(&disputed);
        let waiting = chat.received().len();
        claims::resolve_dispute(
            &app.db,
            &worker,
            claim_id,
            charity_relay::domain::claim::DisputeResolution::Redeliver,
            now,
        )
        .await
        .expect("serve again");
        let again = after(&app, &chat, waiting).await;
        speaks_of_serving(&again);
        assert!(again.contains("老人说没有来"), "{again}");
        claims::mark_delivered(&app.db, &me, claim_id, now)
            .await
            .expect("served");
        let waiting = chat.received().len();
        let confirm = claims::Confirmation {
            rating: Some("4".into()),
            handoff_code: None,
            by_office: false,
        };
        claims::confirm(&app.db, &worker, claim_id, confirm, now)
            .await
            .expect("confirm");
        let thanks = after(&app, &chat, waiting).await;
        let done = match lang {
            Locale::ZhCn => "已完成服务",
            Locale::En => "service done",
        };
        assert!(thanks.contains(done) && thanks.contains("★★★★"), "{thanks}");
        speaks_of_serving(&thanks);

        // A lapsed pledge, and one whose need is cancelled.
        let lapsing = app
            .post_need_of(world.a(), "volunteer_hours", &format!("打扫{i}"), 1, "小时")
            .await;
        let waiting = chat.received().len();
        let claimed = claims::claim_need(&app.db, &me, lapsing, 1, None, now)
            .await
            .expect("claim");
        after(&app, &chat, waiting).await;
        set_claim(
            &app,
            claimed.claim.id,
            claim::Column::DueAt,
            now - chrono::Duration::days(3),
        )
        .await;
        set_claim(&app, claimed.claim.id, claim::Column::RemindedAt, now).await;
        let waiting = chat.received().len();
        jobs::run_once(&app.db, now).await.expect("jobs");
        let lapsed = after(&app, &chat, waiting).await;
        speaks_of_serving(&lapsed);
        let cancelled = app
            .post_need_of(world.a(), "volunteer_hours", &format!("读报{i}"), 1, "小时")
            .await;
        let waiting = chat.received().len();
        claims::claim_need(&app.db, &me, cancelled, 1, None, now)
            .await
            .expect("claim");
        after(&app, &chat, waiting).await;
        let waiting = chat.received().len();
        needs::cancel_need(&app.db, &app.config.secret_key, &worker, cancelled, "已有志愿者", now)
            .await
            .expect("cancel");
        let ended = after(&app, &chat, waiting).await;
        assert!(ended.contains("已有志愿者"), "{ended}");
        speaks_of_serving(&ended);
    }
}

/// The due date of a claim as notices show it (the local day).
async fn tomorrow_due(app: &TestApp, claim_id: i64) -> String {
    let c = claim::Entity::find_by_id(claim_id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("claim");
    charity_relay::domain::time::local_date(c.due_at).to_string()
}

#[tokio::test]
async fn an_expired_need_ends_its_claim_with_a_notice() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = &world.merchants[i];
        let me = Caller::Merchant {
            merchant_id: merchant.id,
            token_id: None,
        };
        let chat = app.linked_chat(merchant.id, 3100 + i as i64, lang).await;
        let need = app
            .post_need_of(world.a(), "tutoring", &format!("数学辅导{i}"), 2, "次")
            .await;
        let waiting = chat.received().len();
        claims::claim_need(&app.db, &me, need, 1, None, Utc::now())
            .await
            .expect("claim");
        after(&app, &chat, waiting).await;
        let past = (Utc::now() - chrono::Duration::days(2)).date_naive();
        charity_relay::entities::need::Entity::update_many()
            .col_expr(charity_relay::entities::need::Column::Deadline, Expr::value(past))
            .filter(charity_relay::entities::need::Column::Id.eq(need))
            .exec(&app.db)
            .await
            .expect("deadline");
        let waiting = chat.received().len();
        jobs::run_once(&app.db, Utc::now()).await.expect("jobs");
        assert_eq!(
            after(&app, &chat, waiting).await,
            text::notice(
                lang,
                &Notice::NeedEnded {
                    title: format!("数学辅导{i}"),
                    expired: true,
                    reason: String::new(),
                    hours: false,
                }
            )
        );
    }
}

#[tokio::test]
async fn notifications_wait_for_a_chat_and_arrive_once_it_is_linked() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let merchant = &world.merchants[0];
    let need = app.post_need(world.a(), 2).await;
    let (status, _) = app.claim(&merchant.token, need, 1).await;
    assert_eq!(status, 201);
    let deadline = std::time::Instant::now() + REPLY_WITHIN;
    let held = "SELECT COUNT(*) FROM outbox WHERE status = 'held' AND channel = 'telegram'";
    while scalar_i64(&app.db, held).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the confirmation is held");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let chat = app.chat(3200, Locale::En);
    let code = app.link_code(merchant.id).await;
    let linked = chat.send(&format!("/start {code}")).await;
    assert_eq!(linked.text, text::linked(Locale::En, "爱心商户0"));
    // What waited goes out once the chat is linked (it is not a reply to the update).
    let replies = app.tg().wait_for(chat.id, 2, REPLY_WITHIN).await;
    assert!(
        replies
            .iter()
            .any(|r| r.text.contains("1 袋") && r.text.contains("Handoff code")),
        "{replies:#?}"
    );

    // The race linking must not lose: the sender leased the row and found no chat, then the
    // shop linked before the sender wrote "held". Replayed: the row leased again, and the
    // sender's late hold. The row is not held for a link that already happened; it goes out.
    let row = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("merchant-claim-confirmed"))
        .filter(outbox::Column::MerchantId.eq(merchant.id))
        .one(&app.db)
        .await
        .expect("outbox")
        .expect("the confirmation");
    // The sender marks the row sent just after the fake Bot API took it: wait for that, or
    // its late "sent" would overwrite the lease replayed below.
    let sent = format!("SELECT COUNT(*) FROM outbox WHERE id = {} AND status = 'sent'", row.id);
    let deadline = std::time::Instant::now() + REPLY_WITHIN;
    while scalar_i64(&app.db, &sent).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the confirmation is marked sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val("pending"))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::val(Utc::now() + chrono::Duration::minutes(5)),
        )
        .filter(outbox::Column::Id.eq(row.id))
        .exec(&app.db)
        .await
        .expect("lease");
    app.hold_telegram_row(&row).await;
    let again = app
        .telegram
        .as_ref()
        .expect("fake telegram")
        .wait_for(3200, 3, REPLY_WITHIN)
        .await;
    assert!(again[2].text.contains("1 袋"), "{again:#?}");
}
