//! Talking to the bot as a shopkeeper would: messages and button taps go through the fake
//! Bot API, the real teloxide adapter handles them, and replies are read back from the fake.

use std::time::{Duration, Instant};

use bots::Locale;
use charity_relay::entities::{merchant, outbox};
use charity_relay::services::access::Caller;
use charity_relay::services::merchants;
use charity_relay::services::outbox::BotReply;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::fake_telegram::{self, FakeTelegram, Sent};
use super::{TestApp, scalar_i64};

/// How long a reply may take (bot tests let the sender's throttle send 100 messages a
/// second into a chat; a 429's wait and a slow fake take longer).
pub const REPLY_WITHIN: Duration = Duration::from_secs(20);

/// Every message the bot sent in answer to one update, in order: a page of needs is one
/// message a card (the page's head opens the first) and a footer with paging and filters.
#[derive(Debug, Clone)]
pub struct Replies(pub Vec<Sent>);

impl std::ops::Deref for Replies {
    type Target = [Sent];

    fn deref(&self) -> &[Sent] {
        &self.0
    }
}

impl Replies {
    /// Every text, one message after another, as the shopkeeper reads them.
    pub fn text(&self) -> String {
        self.0.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("\n\n")
    }

    /// The message of card (or claim) `number`: the one with a line starting `<number>. `.
    pub fn card(&self, number: usize) -> &Sent {
        let start = format!("{number}. ");
        self.0
            .iter()
            .find(|s| s.text.lines().any(|l| l.starts_with(&start)))
            .unwrap_or_else(|| panic!("no card {number} in {:#?}", self.0))
    }

    /// The last message (the footer of a page of needs).
    pub fn footer(&self) -> &Sent {
        self.0.last().expect("at least one reply")
    }

    /// The callback data of the button labelled `label`, under whichever message it is.
    pub fn button(&self, label: &str) -> String {
        self.0
            .iter()
            .flat_map(|s| s.buttons.iter().flatten())
            .find(|(l, _)| l == label)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no button {label:?} in {:#?}", self.0))
    }
}

/// A Telegram chat with the bot.
pub struct Chat<'a> {
    /// The app.
    pub app: &'a TestApp,
    /// The chat's (and its user's) id.
    pub id: i64,
    /// The language the user's Telegram client reports.
    pub lang: Locale,
}

impl Chat<'_> {
    fn fake(&self) -> &FakeTelegram {
        self.app.tg()
    }

    fn client_code(&self) -> &'static str {
        match self.lang {
            Locale::ZhCn => "zh-hans",
            Locale::En => "en",
        }
    }

    /// Sends `text` and waits for its one reply (fails if it gets more or none).
    pub async fn send(&self, text: &str) -> Sent {
        self.send_n(text, 1).await.remove(0)
    }

    /// Sends `text` and waits for its replies, which must be `n`.
    pub async fn send_n(&self, text: &str, n: usize) -> Vec<Sent> {
        let replies = self.send_all(text).await;
        assert_eq!(replies.len(), n, "{text:?} got {} replies: {replies:#?}", replies.len());
        replies.0
    }

    /// Sends `text` and collects every reply to it (the bot has handled the message and
    /// every message it queued in answer arrived), in order.
    pub async fn send_all(&self, text: &str) -> Replies {
        let id = self.fake().next_update_id();
        self.answer_to(id, fake_telegram::message(id, self.id, text, self.client_code()))
            .await
    }

    /// Sends `text` and waits for the document (a PDF) the bot answers with.
    pub async fn send_for_document(&self, text: &str) -> fake_telegram::Document {
        let before = self.fake().documents().len();
        let id = self.fake().next_update_id();
        self.fake()
            .push(fake_telegram::message(id, self.id, text, self.client_code()));
        let deadline = Instant::now() + REPLY_WITHIN;
        loop {
            let mine = self
                .fake()
                .documents()
                .into_iter()
                .skip(before)
                .find(|d| d.chat_id == self.id);
            if let Some(document) = mine {
                return document;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} got no document within {REPLY_WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Taps a button with callback `data` and waits for its one reply.
    pub async fn tap(&self, data: &str) -> Sent {
        let replies = self.tap_all(data).await;
        assert_eq!(replies.len(), 1, "{data:?} got {} replies: {replies:#?}", replies.len());
        replies.0[0].clone()
    }

    /// Taps a button with callback `data` and collects every reply to the tap, in order.
    pub async fn tap_all(&self, data: &str) -> Replies {
        let id = self.fake().next_update_id();
        self.answer_to(id, fake_telegram::tap(id, self.id, data, self.client_code()))
            .await
    }

    /// Taps the button labelled `label` under the message `on` (one card, say), and
    /// collects every reply.
    pub async fn press(&self, on: &Sent, label: &str) -> Replies {
        self.tap_all(&on.button(label)).await
    }

    /// Pushes update `id` and waits until the bot handled it and every reply it queued for
    /// it (rows keyed `tg-update:<id>:…`) reached the fake; other messages that reach the
    /// chat meanwhile (a notice released by linking, say) are not among them.
    async fn answer_to(&self, id: i64, update: serde_json::Value) -> Replies {
        let before = self.fake().sent_to(self.id).len();
        self.fake().push(update);
        let deadline = Instant::now() + REPLY_WITHIN;
        let expected: Vec<String> = loop {
            let handled = scalar_i64(
                &self.app.db,
                &format!("SELECT COUNT(*) FROM telegram_updates WHERE update_id = {id} AND status <> 'pending'"),
            )
            .await
                == 1;
            let queued: Vec<String> = outbox::Entity::find()
                .filter(outbox::Column::DedupeKey.starts_with(format!("tg-update:{id}:")))
                .order_by_asc(outbox::Column::Id)
                .all(&self.app.db)
                .await
                .expect("outbox")
                .into_iter()
                .map(|row| {
                    let payload: BotReply = serde_json::from_str(&row.payload).expect("reply payload");
                    payload.text
                })
                .collect();
            // A given-up update's apology is queued just after it is marked failed.
            if handled && !queued.is_empty() {
                break queued;
            }
            assert!(
                Instant::now() < deadline,
                "update {id} got no reply within {REPLY_WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        loop {
            let sent = self.fake().sent_to(self.id);
            let mut wanted = expected.iter().peekable();
            let mut got = Vec::new();
            for message in &sent[before..] {
                if wanted.peek().is_some_and(|text| **text == message.text) {
                    wanted.next();
                    got.push(message.clone());
                }
            }
            if wanted.peek().is_none() {
                return Replies(got);
            }
            assert!(
                Instant::now() < deadline,
                "update {id}: expected {expected:#?}, the chat got {:#?}",
                &sent[before..]
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Every message this chat got.
    pub fn received(&self) -> Vec<Sent> {
        self.fake().sent_to(self.id)
    }
}

impl TestApp {
    /// The fake Bot API (bot tests only).
    pub fn tg(&self) -> &FakeTelegram {
        self.telegram.as_ref().expect("started with spawn_with_bot")
    }

    /// A chat not linked to any merchant, whose client speaks `lang`.
    pub fn chat(&self, id: i64, lang: Locale) -> Chat<'_> {
        Chat { app: self, id, lang }
    }

    /// A chat linked to `merchant_id` (directly in the database), the merchant reading `lang`.
    pub async fn linked_chat(&self, merchant_id: i64, id: i64, lang: Locale) -> Chat<'_> {
        merchant::Entity::update_many()
            .col_expr(merchant::Column::TelegramChatId, Expr::value(id))
            .col_expr(merchant::Column::Locale, Expr::value(lang.as_str()))
            .filter(merchant::Column::Id.eq(merchant_id))
            .exec(&self.db)
            .await
            .expect("link chat");
        Chat { app: self, id, lang }
    }

    /// Lets alerts reach `merchant_id` at any hour (no quiet hours), so that a test that
    /// waits for an alert does not depend on the time of day it runs at.
    pub async fn alerts_at_any_hour(&self, merchant_id: i64) {
        charity_relay::services::alert_settings::change(
            &self.db,
            merchant_id,
            charity_relay::domain::alerts::SettingsChange::QuietHours(None),
            Utc::now(),
        )
        .await
        .expect("alert settings");
    }

    /// A one-time link code for `merchant_id`, as the office issues it.
    pub async fn link_code(&self, merchant_id: i64) -> String {
        merchants::issue_link_code(
            &self.db,
            &self.config.secret_key,
            &Caller::System,
            merchant_id,
            Utc::now(),
        )
        .await
        .expect("link code")
    }
}

impl TestApp {
    /// Posts a need of `category` titled `title`, as organization `org`'s social worker.
    pub async fn post_need_of(
        &self,
        org: &super::world::Org,
        category: &str,
        title: &str,
        quantity: i64,
        unit: &str,
    ) -> i64 {
        use charity_relay::domain::need_input::NeedInput;
        let now = Utc::now();
        let input = NeedInput {
            beneficiary_id: org.beneficiary_id.to_string(),
            category: category.into(),
            title: title.into(),
            description: "社工核实后发布的公开说明。".into(),
            quantity: quantity.to_string(),
            unit: unit.into(),
            deadline: (now + chrono::Duration::days(30)).date_naive().to_string(),
            ..Default::default()
        };
        let draft = input.parse(now.date_naive()).expect("valid need");
        charity_relay::services::needs::post_need(&self.db, &self.config.secret_key, &org.worker, draft, now)
            .await
            .expect("post need")
            .id
    }
}

impl TestApp {
    /// One dispatcher with only the Telegram sender drains what is due at `now` (the
    /// background one runs on the real clock).
    pub async fn send_telegram_due(&self, now: chrono::DateTime<Utc>) {
        let bot = teloxide::adaptors::Throttle::new_spawn(
            teloxide::Bot::new(fake_telegram::TOKEN).set_api_url(self.tg().url.parse().expect("url")),
            teloxide::adaptors::throttle::Limits::default(),
        );
        let sender = std::sync::Arc::new(
            charity_relay::bot::outbox::TelegramSender::new(self.db.clone(), bot)
                .with_certificates(self.config.cert_font.clone(), self.config.public_url.clone()),
        );
        charity_relay::notify::Dispatcher::new(
            self.db.clone(),
            vec![sender],
            charity_relay::notify::Settings::default(),
        )
        .drain(now)
        .await
        .expect("send");
    }

    /// Waits until `chat_id` got `count` messages and the dispatcher has recorded every
    /// Telegram send it started: a row is marked sent only after the server answered, so
    /// rows counted the moment the fake got a message may not show it yet. Panics after
    /// `within`.
    pub async fn wait_for_telegram(&self, chat_id: i64, count: usize, within: Duration) -> Vec<Sent> {
        let deadline = Instant::now() + within;
        let sent = self.tg().wait_for(chat_id, count, within).await;
        loop {
            // Leased and not yet settled: a send under way (a parked row is `held`, unleased).
            let sending = scalar_i64(
                &self.db,
                "SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' \
                 AND status IN ('pending', 'failed') AND locked_until IS NOT NULL",
            )
            .await;
            if sending == 0 {
                return sent;
            }
            assert!(
                Instant::now() < deadline,
                "{sending} Telegram rows still being sent after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Parks outbox row `row` as the Telegram sender does when its merchant has no chat.
    pub async fn hold_telegram_row(&self, row: &outbox::Model) {
        charity_relay::services::telegram::hold_until_linked(
            &self.db,
            row.id,
            row.merchant_id.or_else(|| row.recipient.parse().ok()),
        )
        .await
        .expect("hold");
    }
}
