//! Talking to the bot as a shopkeeper would: messages and button taps go through the fake
//! Bot API, the real teloxide adapter handles them, and replies are read back from the fake.

use std::time::Duration;

use bots::Lang;
use charity_relay::entities::merchant;
use charity_relay::services::audit::Actor;
use charity_relay::services::merchants;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::TestApp;
use super::fake_telegram::{self, FakeTelegram, Sent};

/// How long a reply may take (the Throttle allows about one message a second per chat).
pub const REPLY_WITHIN: Duration = Duration::from_secs(20);

/// A Telegram chat with the bot.
pub struct Chat<'a> {
    /// The app.
    pub app: &'a TestApp,
    /// The chat's (and its user's) id.
    pub id: i64,
    /// The language the user's Telegram client reports.
    pub lang: Lang,
}

impl Chat<'_> {
    fn fake(&self) -> &FakeTelegram {
        self.app.tg()
    }

    fn client_code(&self) -> &'static str {
        match self.lang {
            Lang::ZhCn => "zh-hans",
            Lang::En => "en",
        }
    }

    /// Sends `text` and waits for exactly one reply.
    pub async fn send(&self, text: &str) -> Sent {
        self.send_n(text, 1).await.remove(0)
    }

    /// Sends `text` and waits for `n` replies.
    pub async fn send_n(&self, text: &str, n: usize) -> Vec<Sent> {
        let before = self.fake().sent_to(self.id).len();
        let id = self.fake().next_update_id();
        self.fake()
            .push(fake_telegram::message(id, self.id, text, self.client_code()));
        self.fake().wait_for(self.id, before + n, REPLY_WITHIN).await[before..].to_vec()
    }

    /// Taps a button with callback `data` and waits for exactly one reply.
    pub async fn tap(&self, data: &str) -> Sent {
        let before = self.fake().sent_to(self.id).len();
        let id = self.fake().next_update_id();
        self.fake()
            .push(fake_telegram::tap(id, self.id, data, self.client_code()));
        self.fake().wait_for(self.id, before + 1, REPLY_WITHIN).await[before].clone()
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
    pub fn chat(&self, id: i64, lang: Lang) -> Chat<'_> {
        Chat { app: self, id, lang }
    }

    /// A chat linked to `merchant_id` (directly in the database), the merchant reading `lang`.
    pub async fn linked_chat(&self, merchant_id: i64, id: i64, lang: Lang) -> Chat<'_> {
        merchant::Entity::update_many()
            .col_expr(merchant::Column::TelegramChatId, Expr::value(id))
            .col_expr(merchant::Column::Locale, Expr::value(lang.tag()))
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
            merchant_id,
            Actor::System,
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
