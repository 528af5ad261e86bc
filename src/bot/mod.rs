//! The merchants' Telegram bot, wired into the app: the desk over the services
//! ([`desk`]), the teloxide adapter that receives and handles updates exactly once
//! ([`telegram`]), and the dispatcher's sender of Telegram outbox rows ([`outbox`]).

pub mod desk;
pub mod outbox;
pub mod telegram;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::routing::post;
use sea_orm::DatabaseConnection;
use teloxide::Bot;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::config::{Config, TelegramConfig};

/// Where the webhook route listens when the configured URL has no path of its own.
pub const DEFAULT_WEBHOOK_PATH: &str = "/telegram/webhook";

/// The bot's shared parts: its configuration and the signals that wake its workers.
#[derive(Clone, Debug)]
pub struct BotHandle {
    config: TelegramConfig,
    updates: Arc<Notify>,
    outbox: Arc<Notify>,
    /// The bot's username as `getMe` answered it, once it has (for the web's `t.me` links).
    username: Arc<OnceLock<String>>,
}

impl BotHandle {
    /// A handle for a bot configured by `config`.
    pub fn new(config: TelegramConfig) -> Self {
        Self {
            config,
            updates: Arc::new(Notify::new()),
            outbox: Arc::new(Notify::new()),
            username: Arc::new(OnceLock::new()),
        }
    }

    /// The bot's username from `getMe`; `None` until the bot has asked Telegram.
    pub fn username(&self) -> Option<&str> {
        self.username.get().map(String::as_str)
    }

    /// Makes the sender look for due rows now.
    pub fn wake_sender(&self) {
        self.outbox.notify_one();
    }

    /// The signal that makes the dispatcher look for due rows now.
    pub fn sender_wake(&self) -> Arc<Notify> {
        self.outbox.clone()
    }
}

/// The Bot API client `config` asks for; `None` (logged) when its API URL is unusable.
fn client(config: &TelegramConfig) -> Option<Bot> {
    let bot = Bot::new(config.token.expose());
    match &config.api_url {
        None => Some(bot),
        Some(api) => match api.parse::<url::Url>() {
            Ok(url) => Some(bot.set_api_url(url)),
            Err(_) => {
                tracing::error!("RELAY_TELEGRAM_API_URL cannot be parsed as a URL; the bot stays off");
                None
            }
        },
    }
}

/// The dispatcher's sender of Telegram rows, throttled per chat as configured; `None` when
/// the bot cannot run.
pub fn sender(db: DatabaseConnection, handle: &BotHandle, config: &Config) -> Option<Arc<outbox::TelegramSender>> {
    let bot = client(&handle.config)?;
    let throttled = Throttle::new_spawn(bot, limits(handle.config.throttle_per_second));
    Some(Arc::new(
        outbox::TelegramSender::new(db, throttled)
            .with_certificates(config.cert_font.clone(), config.public_url.clone()),
    ))
}

/// The webhook's full URL and the path of the route, from `RELAY_TELEGRAM_WEBHOOK_URL`.
pub fn webhook_target(url: &str) -> (String, String) {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let path = url[after_scheme..]
        .find('/')
        .map(|i| &url[after_scheme + i..])
        .unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() || path == "/" {
        let base = url.trim_end_matches('/');
        (format!("{base}{DEFAULT_WEBHOOK_PATH}"), DEFAULT_WEBHOOK_PATH.to_owned())
    } else {
        (url.to_owned(), path.to_owned())
    }
}

/// The path of the webhook route, when the bot runs in webhook mode.
pub fn webhook_path(config: &crate::config::Config) -> Option<String> {
    let url = config.telegram.as_ref()?.webhook_url.as_deref()?;
    Some(webhook_target(url).1)
}

/// The webhook route, when the bot runs in webhook mode; an empty router otherwise.
pub fn webhook_router(state: &AppState) -> Router {
    let Some(handle) = &state.bot else {
        return Router::new();
    };
    let Some(url) = &handle.config.webhook_url else {
        return Router::new();
    };
    let (_, path) = webhook_target(url);
    Router::new()
        .route(&path, post(telegram::webhook))
        .with_state(telegram::WebhookState {
            db: state.db.clone(),
            secret: handle.config.webhook_secret.clone(),
            wake: handle.updates.clone(),
            limiter: std::sync::Arc::new(telegram::webhook_limiter()),
            refusals: state.metrics.anonymous_refusals.clone(),
        })
}

/// Starts the bot's workers: the receiver (long polling, or webhook registration) and the
/// update handler (its replies are sent by the dispatcher, see [`sender`]). They stop on
/// `cancel`.
pub fn spawn(
    workers: &mut JoinSet<()>,
    db: DatabaseConnection,
    desk: desk::ServiceDesk,
    handle: BotHandle,
    cancel: CancellationToken,
) {
    let Some(bot) = client(&handle.config) else {
        return;
    };
    let webhook = handle
        .config
        .webhook_url
        .as_deref()
        .map(|url| (webhook_target(url).0, handle.config.webhook_secret.clone()));
    workers.spawn(telegram::run_receiver(
        db.clone(),
        bot.clone(),
        webhook,
        handle.updates.clone(),
        cancel.clone(),
    ));
    workers.spawn(telegram::run_handler(
        db,
        desk,
        bot,
        handle.updates.clone(),
        handle.outbox.clone(),
        handle.username.clone(),
        cancel,
    ));
}

/// The sender's limits for `per_chat` messages a second in a chat (`RELAY_TELEGRAM_THROTTLE`,
/// 1 by default: Telegram's advice for private chats) and 30 a second overall, or `per_chat`
/// if that is more. teloxide's default of 20 a minute per chat is meant for groups.
pub fn limits(per_chat: u32) -> Limits {
    let per_chat = per_chat.max(1);
    let defaults = Limits::default();
    Limits {
        messages_per_sec_chat: per_chat,
        messages_per_min_chat: per_chat.saturating_mul(60),
        messages_per_sec_overall: defaults.messages_per_sec_overall.max(per_chat),
        ..defaults
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_follows_the_configured_rate_per_chat() {
        let one = limits(1);
        assert_eq!((one.messages_per_sec_chat, one.messages_per_min_chat), (1, 60));
        assert_eq!(one.messages_per_sec_overall, 30);
        let fast = limits(100);
        assert_eq!((fast.messages_per_sec_chat, fast.messages_per_min_chat), (100, 6000));
        assert_eq!(fast.messages_per_sec_overall, 100);
    }

    #[test]
    fn the_webhook_path_comes_from_the_url_or_defaults() {
        assert_eq!(webhook_target("https://relay.example.org/tg/hook?x=1").1, "/tg/hook");
        assert_eq!(
            webhook_target("https://relay.example.org"),
            (
                "https://relay.example.org/telegram/webhook".to_owned(),
                "/telegram/webhook".to_owned()
            )
        );
    }
}
