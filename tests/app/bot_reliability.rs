//! No update is lost or handled twice, a double tap claims once, the last unit goes to one
//! merchant, and a 429 is waited out — in both languages, through the real adapter.

use std::time::{Duration, Instant};

use bots::text;
use bots::{Action, DeskError, Locale};
use charity_relay::services::telegram as store;
use chrono::Utc;
use futures::future::join_all;

use crate::support::bot::REPLY_WITHIN;
use crate::support::fake_telegram;
use crate::support::{TestApp, scalar_i64};

fn code(lang: Locale) -> &'static str {
    match lang {
        Locale::ZhCn => "zh-hans",
        Locale::En => "en",
    }
}

/// Waits until every stored update is handled, then a little longer, so that a second
/// (wrong) reply would have had time to arrive.
async fn settle(app: &TestApp) {
    let deadline = Instant::now() + REPLY_WITHIN;
    while scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM telegram_updates WHERE status <> 'handled'",
    )
    .await
        > 0
    {
        assert!(Instant::now() < deadline, "updates left unhandled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let outbox_deadline = Instant::now() + REPLY_WITHIN;
    while scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND status IN ('pending','failed')",
    )
    .await
        > 0
    {
        assert!(Instant::now() < outbox_deadline, "replies left unsent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn the_same_update_delivered_five_times_in_sequence_claims_once_and_replies_once() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let need = app.post_need(world.a(), 5).await;
        let chat = app.linked_chat(world.merchants[i].id, 2000 + i as i64, lang).await;
        let update = fake_telegram::tap(
            app.tg().next_update_id(),
            chat.id,
            &Action::ClaimAllYes(need, 5).encode(),
            code(lang),
        );
        for _ in 0..5 {
            app.tg().push(update.clone());
        }
        settle(&app).await;
        assert_eq!(
            scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need}")).await,
            1
        );
        let replies = chat.received();
        assert_eq!(replies.len(), 1, "{replies:#?}");
        assert!(replies[0].text.contains("5 袋"), "{}", replies[0].text);
    }
    assert_eq!(app.tg().calls_of("answerCallbackQuery").len(), 2);
}

/// The app with the bot in webhook mode, its secret token `s3cret-token_for-tests`.
async fn webhook_app() -> TestApp {
    TestApp::spawn_with_bot_and(|env| {
        env.insert(
            "RELAY_TELEGRAM_WEBHOOK_URL".into(),
            "https://relay.example.org/telegram/webhook".into(),
        );
        env.insert("RELAY_TELEGRAM_WEBHOOK_SECRET".into(), "s3cret-token_for-tests".into());
    })
    .await
}

#[tokio::test]
async fn the_same_update_posted_five_times_at_once_to_the_webhook_claims_once_and_replies_once() {
    let app = webhook_app().await;
    let world = app.world(2).await;
    let registered = app.tg().wait_for_call("setWebhook", REPLY_WITHIN).await;
    assert_eq!(registered.body["url"], "https://relay.example.org/telegram/webhook");
    assert_eq!(registered.body["secret_token"], "s3cret-token_for-tests");
    assert!(app.tg().calls_of("getUpdates").is_empty(), "no polling in webhook mode");

    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let need = app.post_need(world.a(), 5).await;
        let chat = app.linked_chat(world.merchants[i].id, 2100 + i as i64, lang).await;
        let update = fake_telegram::tap(
            app.tg().next_update_id(),
            chat.id,
            &Action::ClaimAllYes(need, 5).encode(),
            code(lang),
        );
        let posts = (0..5).map(|_| {
            app.client
                .post(app.url("/telegram/webhook"))
                .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_for-tests")
                .json(&update)
                .send()
        });
        for response in join_all(posts).await {
            assert_eq!(response.expect("post").status(), 200);
        }
        settle(&app).await;
        assert_eq!(
            scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need}")).await,
            1
        );
        let replies = chat.received();
        assert_eq!(replies.len(), 1, "{replies:#?}");
        assert!(replies[0].text.contains("5 袋"));
    }

    // A wrong or missing secret: 401, nothing stored.
    let stored = app.count("telegram_updates").await;
    let forged = fake_telegram::message(9999, 2100, "/needs", "en");
    for secret in [Some("wrong"), Some(""), None] {
        let mut request = app.client.post(app.url("/telegram/webhook")).json(&forged);
        if let Some(s) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(request.send().await.expect("post").status(), 401);
    }
    assert_eq!(app.count("telegram_updates").await, stored);
}

#[tokio::test]
async fn a_flood_on_the_webhook_is_cut_with_429_and_retry_after_and_stores_nothing_extra() {
    let app = webhook_app().await;
    app.tg().wait_for_call("setWebhook", REPLY_WITHIN).await;
    let stored = app.count("telegram_updates").await;

    // Waves of posts with the secret (a forged one costs nothing: see tests/app/hostile.rs)
    // but a body that is no update: refused for the body (400) until the limiter of their
    // source cuts in (429), after about the burst plus what refilled meanwhile.
    let rate = charity_relay::bot::telegram::WEBHOOK_RATE_PER_SECOND as f64;
    let started = std::time::Instant::now();
    let (mut refused, mut limited) = (0usize, 0usize);
    for _ in 0..20 {
        let posts = (0..200).map(|_| {
            app.client
                .post(app.url("/telegram/webhook"))
                .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_for-tests")
                .body("not an update")
                .send()
        });
        for response in join_all(posts).await {
            let response = response.expect("post");
            match response.status().as_u16() {
                400 => refused += 1,
                429 => {
                    limited += 1;
                    let wait: u64 = response.headers()["retry-after"]
                        .to_str()
                        .expect("ascii")
                        .parse()
                        .expect("seconds");
                    assert!((1..=2).contains(&wait), "Retry-After {wait}");
                }
                other => panic!("unexpected status {other}"),
            }
        }
        if limited > 0 {
            break;
        }
    }
    assert!(limited > 0, "4,000 posts and never a 429");
    let allowed = 2.0 * rate + rate * started.elapsed().as_secs_f64() + 200.0;
    assert!(
        (refused as f64) <= allowed,
        "{refused} posts got through the limiter (at most {allowed})"
    );
    assert_eq!(app.count("telegram_updates").await, stored);

    // A second later the route answers again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let update = fake_telegram::message(app.tg().next_update_id(), 2300, "/help", "en");
    let response = app
        .client
        .post(app.url("/telegram/webhook"))
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_for-tests")
        .json(&update)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("telegram_updates").await, stored + 1);
}

#[tokio::test]
async fn an_update_stored_before_a_kill_is_handled_once_after_restart() {
    let mut app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let mut chats = Vec::new();
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let need = app.post_need(world.a(), 4).await;
        let chat_id = 2200 + i as i64;
        app.linked_chat(world.merchants[i].id, chat_id, lang).await;
        chats.push((chat_id, need, lang));
    }
    // The process dies after storing the updates and before handling them.
    app.halt().await;
    for (chat_id, need, lang) in &chats {
        let update = fake_telegram::tap(
            app.tg().next_update_id(),
            *chat_id,
            &Action::ClaimAllYes(*need, 4).encode(),
            code(*lang),
        );
        let id = update["update_id"].as_i64().expect("id");
        let stored = store::store_update(&app.db, id, &update.to_string(), Utc::now())
            .await
            .expect("store");
        assert!(stored);
    }
    app.resume().await;
    settle(&app).await;
    for (chat_id, need, _) in &chats {
        assert_eq!(
            scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need}")).await,
            1
        );
        let replies = app.tg().sent_to(*chat_id);
        assert_eq!(replies.len(), 1, "{replies:#?}");
        assert!(replies[0].text.contains("4 袋"));
    }
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM telegram_updates WHERE status = 'handled'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_double_tap_on_claim_all_makes_one_claim() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let need = app.post_need(world.a(), 3).await;
        let chat = app.linked_chat(world.merchants[i].id, 2300 + i as i64, lang).await;
        let data = Action::ClaimAllYes(need, 3).encode();
        for _ in 0..2 {
            let id = app.tg().next_update_id();
            app.tg().push(fake_telegram::tap(id, chat.id, &data, code(lang)));
        }
        settle(&app).await;
        assert_eq!(
            scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need}")).await,
            1
        );
        let replies = chat.received();
        assert_eq!(replies.len(), 2, "{replies:#?}");
        assert!(replies[0].text.contains("3 袋"));
        assert_eq!(replies[1].text, text::refusal(lang, &DeskError::AlreadyYours));
    }
}

#[tokio::test]
async fn two_merchants_tapping_the_last_unit_at_once_one_wins_and_the_other_is_told_it_is_gone() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for lang in Locale::ALL {
        let need = app.post_need(world.a(), 1).await;
        let base = 2400 + 10 * lang as i64;
        let a = app.linked_chat(world.merchants[0].id, base, lang).await;
        let b = app.linked_chat(world.merchants[1].id, base + 1, lang).await;
        let data = Action::ClaimAllYes(need, 1).encode();
        let before = (a.received().len(), b.received().len());
        let (id_a, id_b) = (app.tg().next_update_id(), app.tg().next_update_id());
        app.tg().push(fake_telegram::tap(id_a, a.id, &data, code(lang)));
        app.tg().push(fake_telegram::tap(id_b, b.id, &data, code(lang)));
        settle(&app).await;
        assert_eq!(
            scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need}")).await,
            1
        );
        let winner_is_a = scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM claims WHERE need_id = {need} AND merchant_id = {}",
                world.merchants[0].id
            ),
        )
        .await
            == 1;
        let (won, lost) = if winner_is_a {
            (a.received()[before.0].clone(), b.received()[before.1].clone())
        } else {
            (b.received()[before.1].clone(), a.received()[before.0].clone())
        };
        assert!(won.text.contains("1 袋"), "{}", won.text);
        assert_eq!(lost.text, text::refusal(lang, &DeskError::Gone));
    }
}

#[tokio::test]
async fn a_429_with_retry_after_3_delays_the_next_send_and_the_message_goes_once() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let chat = app.linked_chat(world.merchants[i].id, 2500 + i as i64, lang).await;
        app.tg().answer_429_once(3);
        let reply = chat.send("/help").await;
        assert_eq!(reply.text, text::help(lang));
        let sends: Vec<_> = app
            .tg()
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.body["chat_id"].as_i64() == Some(chat.id))
            .collect();
        assert_eq!(sends.len(), 2, "one refused, one accepted");
        assert!(!sends[0].ok && sends[1].ok);
        let waited = sends[1].at.duration_since(sends[0].at);
        assert!(waited >= Duration::from_secs(3), "waited only {waited:?}");
        settle(&app).await;
        assert_eq!(chat.received().len(), 1, "sent once");
    }
}

#[tokio::test]
async fn the_sender_keeps_to_the_configured_messages_a_second_in_a_chat() {
    // Two a second: a page of three cards and its footer takes more than a second to send…
    let app = TestApp::spawn_with_bot_and(|env| crate::support::set(env, "RELAY_TELEGRAM_THROTTLE", "2")).await;
    let world = app.world(1).await;
    for n in 0..3 {
        app.post_need_of(world.a(), "food", &format!("大米{n}"), 5, "袋").await;
    }
    let chat = app.linked_chat(world.merchants[0].id, 2600, Locale::ZhCn).await;
    let page = chat.send_all("/needs").await;
    assert_eq!(page.len(), 4, "{page:#?}");
    let sends: Vec<Instant> = app
        .tg()
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.ok && c.body["chat_id"].as_i64() == Some(chat.id))
        .map(|c| c.at)
        .collect();
    let spread = sends[3].duration_since(sends[0]);
    assert!(spread >= Duration::from_millis(900), "four messages in {spread:?}");
    // …and less than the three seconds one a second would take.
    assert!(spread < Duration::from_millis(2500), "four messages in {spread:?}");
}
