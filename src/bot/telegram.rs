//! The teloxide adapter: receives updates (long polling, or the webhook route), stores each
//! before it is acknowledged, and handles stored updates exactly once through the
//! transport-free dialogue. Replies are queued in the outbox in the transaction that marks
//! the update handled; the sender delivers them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bots::{Command, Input, Locale, Session};
use chrono::Utc;
use futures::StreamExt;
use sea_orm::DatabaseConnection;
use subtle::ConstantTimeEq;
use teloxide::Bot;
use teloxide::payloads::{GetUpdatesSetters, SetMyCommandsSetters, SetWebhookSetters};
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, BotCommand, CallbackQueryId, Update, UpdateKind};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::desk::ServiceDesk;
use crate::config::Secret;
use crate::services::outbox::{BotReply, Channel, Message, Notification};
use crate::services::telegram::{self as store, ChatChange, LeasedUpdate};

/// Seconds a `getUpdates` long poll waits for news (below the HTTP client's 17 s timeout).
const POLL_SECONDS: u32 = 10;
/// How often the handler looks for stored updates when nothing wakes it (another
/// instance may have stored them through the webhook).
const IDLE_POLL: Duration = Duration::from_secs(2);
/// The header Telegram sends the webhook secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Registers the command menu, in Chinese for `zh` clients and English for everyone else.
pub async fn register_commands(bot: &Bot) {
    for (lang, code) in [(Locale::ZhCn, Some("zh")), (Locale::En, None)] {
        let commands: Vec<BotCommand> = bots::text::command_list(lang)
            .into_iter()
            .map(|(name, description)| BotCommand::new(name, description))
            .collect();
        let mut request = bot.set_my_commands(commands);
        if let Some(code) = code {
            request = request.language_code(code);
        }
        if let Err(e) = request.await {
            tracing::warn!(error = %e, lang = lang.as_str(), "cannot register the bot's commands");
        }
    }
}

/// Receives updates by long polling until `cancel`, or, in webhook mode, registers the
/// webhook and leaves receiving to the route.
pub async fn run_receiver(
    db: DatabaseConnection,
    bot: Bot,
    webhook: Option<(String, Secret)>,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    register_commands(&bot).await;
    if let Some((url, secret)) = webhook {
        let Ok(parsed) = url.parse::<url::Url>() else {
            tracing::error!("RELAY_TELEGRAM_WEBHOOK_URL cannot be parsed as a URL; the bot receives nothing");
            return;
        };
        let mut pause = Duration::from_secs(1);
        loop {
            let request = bot
                .set_webhook(parsed.clone())
                .secret_token(secret.expose().to_owned())
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
            match request.await {
                Ok(_) => {
                    tracing::info!("telegram webhook registered");
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "cannot register the telegram webhook; retrying"),
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(Duration::from_secs(60));
        }
    }
    // getUpdates answers 409 while a webhook is set.
    if let Err(e) = bot.delete_webhook().await {
        tracing::warn!(error = %e, "cannot delete the telegram webhook");
    }
    poll(db, bot, wake, cancel).await;
}

/// Long polling. Each update is stored before the next `getUpdates` acknowledges it (its
/// offset moves past an update only once the update is in the database).
async fn poll(db: DatabaseConnection, bot: Bot, wake: Arc<Notify>, cancel: CancellationToken) {
    let mut offset: i32 = 0;
    let mut pause = Duration::from_millis(500);
    tracing::info!("telegram long polling started");
    loop {
        let request = bot
            .get_updates()
            .offset(offset)
            .timeout(POLL_SECONDS)
            .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
        let received = tokio::select! {
            () = cancel.cancelled() => return,
            r = request => r,
        };
        let updates = match received {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(error = %e, "telegram getUpdates failed; retrying");
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        pause = Duration::from_millis(500);
        // The whole answer is stored in one transaction before the next poll acknowledges it.
        let rows: Result<Vec<(i64, String)>, String> = updates
            .iter()
            .map(|u| {
                serde_json::to_string(u)
                    .map(|json| (i64::from(u.id.0), json))
                    .map_err(|e| e.to_string())
            })
            .collect();
        let stored = match rows {
            Ok(rows) => store::store_updates(&db, &rows, Utc::now())
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match (stored, updates.last()) {
            (Ok(()), Some(last)) => offset = i32::try_from(last.id.0).unwrap_or(i32::MAX).saturating_add(1),
            (Ok(()), None) => {}
            (Err(e), _) => {
                // Not acknowledged: Telegram sends them again with the next poll.
                tracing::warn!(error = %e, "cannot store telegram updates");
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(pause) => {}
                }
                continue;
            }
        }
        if !updates.is_empty() {
            wake.notify_one();
        }
    }
}

/// What the webhook route needs.
#[derive(Clone)]
pub struct WebhookState {
    /// The pool.
    pub db: DatabaseConnection,
    /// The expected secret token.
    pub secret: Secret,
    /// Wakes the handler.
    pub wake: Arc<Notify>,
    /// Caps the calls of each source address that knows the secret.
    pub limiter: Arc<WebhookLimiter>,
    /// Counts calls with a wrong or missing secret (logged sampled, never one line each).
    pub refusals: crate::metrics::AnonymousRefusals,
}

/// Webhook calls a second from one address, well above what one bot is sent, below what
/// would crowd out the web; a burst of twice that.
pub const WEBHOOK_RATE_PER_SECOND: u32 = 300;

/// The webhook's limiter, keyed by source address.
pub type WebhookLimiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

/// The webhook's limiter: [`WEBHOOK_RATE_PER_SECOND`] per source, bursts of twice that.
pub fn webhook_limiter() -> WebhookLimiter {
    let rate = std::num::NonZeroU32::new(WEBHOOK_RATE_PER_SECOND).unwrap_or(std::num::NonZeroU32::MIN);
    let burst = std::num::NonZeroU32::new(2 * WEBHOOK_RATE_PER_SECOND).unwrap_or(rate);
    governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst))
}

/// `POST` of an update by Telegram. The secret token is checked first, in constant time: a
/// wrong or missing one gets 401 with nothing written and nothing spent of the limit, so a
/// flood of forged calls cannot crowd out Telegram's. Calls with the secret are then
/// limited per source address, beyond which they get 429 with `Retry-After` (Telegram
/// delivers again later). The update is stored before the 200 that acknowledges it;
/// handling happens in the handler task.
pub async fn webhook(
    State(hook): State<WebhookState>,
    ConnectInfo(source): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !bool::from(given.ct_eq(hook.secret.expose().as_bytes())) {
        hook.refusals.refuse("telegram.wrong_secret");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Err(not_until) = hook.limiter.check_key(&source.ip()) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        let seconds = wait.as_secs() + 1;
        tracing::warn!(target: "security", "telegram webhook rate limit reached");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, seconds.to_string())],
        )
            .into_response();
    }
    stored(hook, body).await.into_response()
}

async fn stored(hook: WebhookState, body: Bytes) -> StatusCode {
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(update_id) = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("update_id").and_then(serde_json::Value::as_i64))
    else {
        return StatusCode::BAD_REQUEST;
    };
    match store::store_update(&hook.db, update_id, text, Utc::now()).await {
        Ok(_) => {
            hook.wake.notify_one();
            StatusCode::OK
        }
        Err(e) => {
            // Telegram retries a failed delivery.
            tracing::warn!(error = %e, "cannot store a telegram update from the webhook");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// Handles stored updates until `cancel`, starting with any left pending by an earlier
/// process (killed between storing and handling).
pub async fn run_handler(
    db: DatabaseConnection,
    desk: ServiceDesk,
    bot: Bot,
    wake: Arc<Notify>,
    outbox_wake: Arc<Notify>,
    known_username: Arc<std::sync::OnceLock<String>>,
    cancel: CancellationToken,
) {
    let username = loop {
        match bot.get_me().await {
            Ok(me) => break me.user.username.clone(),
            Err(e) => tracing::warn!(error = %e, "telegram getMe failed; retrying"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    };
    // The web's posters and link codes point at this name (`t.me/<username>`).
    if let Some(name) = &username {
        let _ = known_username.set(name.clone());
    }
    let handler = Handler {
        desk,
        db,
        bot,
        username,
        outbox_wake,
    };
    loop {
        loop {
            let pending = match store::pending_updates(&handler.db, Utc::now(), BATCH).await {
                Ok(pending) => pending,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read pending telegram updates");
                    break;
                }
            };
            if pending.is_empty() {
                break;
            }
            // Chats are handled side by side; each chat's updates one after another, in order.
            futures::stream::iter(by_chat(pending))
                .for_each_concurrent(HANDLERS, |ids| {
                    let (handler, cancel) = (&handler, &cancel);
                    async move {
                        for id in ids {
                            if cancel.is_cancelled() {
                                return;
                            }
                            handler.handle(id).await;
                        }
                    }
                })
                .await;
            if cancel.is_cancelled() {
                return;
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

/// Updates read at a time.
const BATCH: u64 = 200;
/// Chats handled at once: enough to overlap database round trips, few enough to leave
/// the pool to the web.
const HANDLERS: usize = 8;

/// Update ids grouped by chat, each group in update order, groups in order of their first
/// update. An update whose chat cannot be read forms a group of its own.
fn by_chat(pending: Vec<(i64, String)>) -> Vec<Vec<i64>> {
    let mut groups: Vec<Vec<i64>> = Vec::new();
    let mut at: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for (id, payload) in pending {
        match chat_of(&payload) {
            Some(chat) => match at.get(&chat) {
                Some(&i) => groups[i].push(id),
                None => {
                    at.insert(chat, groups.len());
                    groups.push(vec![id]);
                }
            },
            None => groups.push(vec![id]),
        }
    }
    groups
}

/// The chat an update comes from, read from its stored JSON.
fn chat_of(payload: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    ["message", "edited_message", "callback_query"].iter().find_map(|kind| {
        let part = v.get(kind)?;
        part.pointer("/chat/id")
            .or_else(|| part.pointer("/message/chat/id"))
            .or_else(|| part.pointer("/from/id"))
            .and_then(serde_json::Value::as_i64)
    })
}

struct Handler {
    db: DatabaseConnection,
    bot: Bot,
    desk: ServiceDesk,
    username: Option<String>,
    outbox_wake: Arc<Notify>,
}

/// What an update asks of the dialogue.
struct Event {
    chat_id: i64,
    client_lang: Option<String>,
    input: Input,
    callback: Option<CallbackQueryId>,
}

impl Handler {
    async fn handle(&self, update_id: i64) {
        let leased = match store::lease_update(&self.db, update_id, Utc::now()).await {
            Ok(Some(row)) => row,
            Ok(None) => return, // handled, or another instance holds it
            Err(e) => {
                tracing::warn!(error = %e, update.id = update_id, "cannot lease a telegram update");
                return;
            }
        };
        let event = serde_json::from_str::<Update>(&leased.payload)
            .ok()
            .and_then(|u| self.event_of(u));
        let Some(event) = event else {
            // Not for the bot (a group message, an edit, another bot's command): done.
            self.finish(&leased, ChatChange::default(), None).await;
            return;
        };
        match self.respond(update_id, &event).await {
            Ok(change) => self.finish(&leased, change, event.callback).await,
            Err(e) => {
                let gave_up = store::fail_update(&self.db, &leased, &e, Utc::now()).await;
                if let Ok(true) = gave_up {
                    tracing::warn!(
                        update.id = update_id,
                        "telegram update given up after repeated failures"
                    );
                    self.apologise(update_id, event.chat_id, event.client_lang.as_deref())
                        .await;
                }
            }
        }
    }

    fn event_of(&self, update: Update) -> Option<Event> {
        match update.kind {
            UpdateKind::Message(message) => {
                if !message.chat.is_private() {
                    return None;
                }
                let text = message.text().unwrap_or_default().to_owned();
                let input = if text.trim_start().starts_with('/') {
                    Input::Command(Command::parse(&text, self.username.as_deref())?)
                } else {
                    Input::Text(text)
                };
                Some(Event {
                    chat_id: message.chat.id.0,
                    client_lang: message.from.and_then(|u| u.language_code),
                    input,
                    callback: None,
                })
            }
            UpdateKind::CallbackQuery(query) => {
                let chat = query.message.as_ref()?.chat();
                if !chat.is_private() {
                    return None;
                }
                Some(Event {
                    chat_id: chat.id.0,
                    client_lang: query.from.language_code.clone(),
                    input: Input::Button(query.data.clone().unwrap_or_default()),
                    callback: Some(query.id),
                })
            }
            _ => None,
        }
    }

    /// Runs the dialogue; `Err` when the desk was unavailable (the update is retried).
    async fn respond(&self, update_id: i64, event: &Event) -> Result<ChatChange, String> {
        let merchant = store::merchant_of_chat(&self.db, event.chat_id)
            .await
            .map_err(|e| e.to_string())?;
        let chat = store::chat(&self.db, event.chat_id).await.map_err(|e| e.to_string())?;
        let chat_lang = chat.locale;
        let merchant_info = match merchant {
            Some(id) => Some(
                bots::MerchantDesk::merchant(&self.desk, id)
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let lang = merchant_info
            .as_ref()
            .map(|m| m.lang)
            .or(chat_lang)
            .unwrap_or_else(|| Locale::from_client(event.client_lang.as_deref()));
        let state = chat
            .state
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let session = Session {
            chat_id: Some(event.chat_id),
            merchant: merchant_info,
            lang,
            state,
        };
        let key = format!("tg:{update_id}");
        let turn = bots::respond(&self.desk, session, event.input.clone(), &key)
            .await
            .map_err(|e| e.to_string())?;
        let merchant_id = turn.merchant.as_ref().map(|m| m.id);
        let replies = turn
            .replies
            .iter()
            .enumerate()
            .map(|(n, reply)| {
                // The certificate's PDF goes with the first reply, as its caption.
                let certificate = turn.document.clone().filter(|_| n == 0);
                reply_message(
                    event.chat_id,
                    merchant_id,
                    turn.lang,
                    reply,
                    certificate,
                    format!("tg-update:{update_id}:reply:{n}"),
                )
            })
            .collect();
        Ok(ChatChange {
            chat_id: Some(event.chat_id),
            state: (turn.state != bots::State::Idle)
                .then(|| serde_json::to_string(&turn.state).ok())
                .flatten(),
            locale: Some(turn.lang),
            replies,
        })
    }

    async fn finish(&self, leased: &LeasedUpdate, change: ChatChange, callback: Option<CallbackQueryId>) {
        let had_replies = !change.replies.is_empty();
        match store::finish_update(&self.db, leased.update_id, change, Utc::now()).await {
            Ok(true) => {
                if had_replies {
                    self.outbox_wake.notify_one();
                }
                if let Some(id) = callback {
                    // Stops the button's spinner; the answer itself comes as a message.
                    if let Err(e) = self.bot.answer_callback_query(id).await {
                        tracing::debug!(error = %e, "cannot answer a callback query");
                    }
                }
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, update.id = leased.update_id, "cannot finish a telegram update; it will be retried");
                let _ = store::fail_update(&self.db, leased, &e.to_string(), Utc::now()).await;
            }
        }
    }

    async fn apologise(&self, update_id: i64, chat_id: i64, client_lang: Option<&str>) {
        let lang = Locale::from_client(client_lang);
        let reply = bots::Reply::text(bots::text::unavailable(lang));
        let message = reply_message(
            chat_id,
            None,
            lang,
            &reply,
            None,
            format!("tg-update:{update_id}:apology"),
        );
        if let Ok(txn) = crate::db::begin_write(&self.db).await {
            let queued = crate::services::outbox::enqueue(&txn, message, Utc::now()).await;
            if queued.is_ok() && txn.commit().await.is_ok() {
                self.outbox_wake.notify_one();
            }
        }
    }
}

fn reply_message(
    chat_id: i64,
    merchant_id: Option<i64>,
    lang: Locale,
    reply: &bots::Reply,
    certificate: Option<String>,
    dedupe_key: String,
) -> Message {
    let reply = Notification::BotReply(BotReply {
        chat_id,
        text: reply.text.clone(),
        buttons: reply
            .buttons
            .iter()
            .map(|row| row.iter().map(|b| (b.label.clone(), b.data.clone())).collect())
            .collect(),
        certificate,
    });
    Message {
        merchant_id,
        ..Message::new(Channel::Telegram, format!("chat:{chat_id}"), lang, &reply, dedupe_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, chat: i64) -> (i64, String) {
        let v = serde_json::json!({ "update_id": id, "message": { "message_id": id, "date": 0,
            "chat": { "id": chat, "type": "private" }, "text": "/help" } });
        (id, v.to_string())
    }

    fn tap(id: i64, chat: i64) -> (i64, String) {
        let v = serde_json::json!({ "update_id": id, "callback_query": { "id": "x",
            "from": { "id": chat, "is_bot": false, "first_name": "a" },
            "message": { "message_id": 1, "date": 0, "chat": { "id": chat, "type": "private" } } } });
        (id, v.to_string())
    }

    #[test]
    fn each_chat_keeps_its_updates_in_order_and_chats_are_apart() {
        let pending = vec![
            message(1, 7),
            tap(2, 8),
            message(3, 7),
            (4, "not json".to_owned()),
            tap(5, 8),
        ];
        assert_eq!(by_chat(pending), vec![vec![1, 3], vec![2, 5], vec![4]]);
    }

    #[test]
    fn the_chat_is_read_from_messages_and_from_taps() {
        assert_eq!(chat_of(&message(1, -42).1), Some(-42));
        assert_eq!(chat_of(&tap(1, 99).1), Some(99));
        assert_eq!(chat_of(r#"{"update_id":1,"poll":{}}"#), None);
    }
}
