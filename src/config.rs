//! Typed configuration, read once at start-up from the environment (DESIGN.md's table).
//!
//! Every value is parsed here; a missing or malformed one becomes a [`ConfigError`] that
//! names the variable and what it expects, and the CLI turns it into one line and exit 2.
//!
//! Email: `RELAY_SMTP_URL`, `RELAY_EMAIL_FROM` (by default `noreply@` the host of
//! `RELAY_PUBLIC_URL`), `RELAY_EMAIL_HOURLY_LIMIT`, and `RELAY_DKIM_SELECTOR` with
//! `RELAY_DKIM_KEY_FILE` (both or neither) to DKIM-sign every message; the key itself is read
//! and checked by [`crate::notify::dkim`] when the sender is built, and never logged.
//!
//! Telegram: `RELAY_TELEGRAM_TOKEN` turns the bot on; `RELAY_TELEGRAM_API_URL`,
//! `RELAY_TELEGRAM_WEBHOOK_URL`, `RELAY_TELEGRAM_WEBHOOK_SECRET`, `RELAY_TELEGRAM_THROTTLE`
//! (messages a second into one chat, 1 to 1000, default 1) and `RELAY_TELEGRAM_BOT_USERNAME`.
//!
//! WeChat: `RELAY_WECHAT_APP_ID` with `RELAY_WECHAT_TOKEN` turn the Official Account's server
//! URL on; `RELAY_WECHAT_APP_SECRET`, `RELAY_WECHAT_AES_KEY` (safe mode), `RELAY_WECHAT_API_URL`
//! and `RELAY_WECHAT_PATH` go with them, and any of them without both is refused.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::domain::sponsorship::{DEFAULT_RENEWAL_HOURS, MAX_RENEWAL_HOURS};

/// The whole configuration of one process.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: SQLite or PostgreSQL.
    pub database_url: Secret,
    /// `RELAY_DATA_DIR`: SQLite file, `.eml` outbox, generated secret key.
    pub data_dir: PathBuf,
    /// `RELAY_BIND`: the listen address.
    pub bind: SocketAddr,
    /// `RELAY_PUBLIC_URL`: base of links in emails and bot messages, without a trailing slash.
    pub public_url: String,
    /// `RELAY_SECRET_KEY`, or the key generated into the data dir.
    pub secret_key: Secret,
    /// Where email goes.
    pub email: EmailConfig,
    /// The Telegram bot, when `RELAY_TELEGRAM_TOKEN` is set.
    pub telegram: Option<TelegramConfig>,
    /// `RELAY_TELEGRAM_BOT_USERNAME` (without the `@`): the office's link-code page shows a
    /// `https://t.me/<username>?start=<code>` link and its QR code, and posters their QR
    /// codes; it overrides the name the running bot learns from `getMe`. Neither known, the
    /// page shows the code and the instruction to send `/start <code>` to the bot.
    pub telegram_bot_username: Option<String>,
    /// The WeChat Official Account, when `RELAY_WECHAT_APP_ID` and `RELAY_WECHAT_TOKEN` are set.
    pub wechat: Option<WechatConfig>,
    /// `RELAY_LOG_FORMAT`: human text or JSON lines.
    pub log_format: LogFormat,
    /// `RELAY_CASE_RETENTION_DAYS`: how long a closed case keeps its personal data before
    /// the erasure job removes it (1095 days, three years, by default).
    pub case_retention_days: u32,
    /// `RELAY_REFERRAL_ANSWER_DAYS`: working days a receiving organization has to answer a
    /// referral before it is reminded (3 by default).
    pub referral_answer_days: u32,
    /// `RELAY_SPONSOR_RENEWAL_HOURS`: hours a sponsor has to renew a new period before it goes
    /// to the pool (72 by default).
    pub sponsor_renewal_hours: u32,
    /// `RELAY_CERT_FONT`: the CJK font certificates are drawn with (a TrueType file or
    /// collection, its first face); Debian's `fonts-wqy-microhei` by default.
    pub cert_font: PathBuf,
}

/// The default of `RELAY_CASE_RETENTION_DAYS`: three years.
pub const DEFAULT_CASE_RETENTION_DAYS: u32 = 1095;

/// Email settings.
#[derive(Clone, Debug)]
pub struct EmailConfig {
    /// `RELAY_SMTP_URL`; `None` writes `.eml` files under the data dir.
    pub smtp_url: Option<Secret>,
    /// `RELAY_EMAIL_FROM`; by default `爱心接力 Charity Relay <noreply@HOST>`, HOST being
    /// `RELAY_PUBLIC_URL`'s host, so that replies, bounces and DKIM name a real domain.
    pub from: String,
    /// `RELAY_EMAIL_HOURLY_LIMIT`; `0` means no limit.
    pub hourly_limit: u32,
    /// `RELAY_DKIM_SELECTOR` and `RELAY_DKIM_KEY_FILE`: sign every message with DKIM for
    /// the sender's domain. Both or neither; the key is read (and checked) at start-up.
    pub dkim: Option<DkimSettings>,
}

/// Where the DKIM key is and the name it is published under.
#[derive(Clone, Debug)]
pub struct DkimSettings {
    /// `RELAY_DKIM_SELECTOR`: the DNS label, e.g. `relay2026` for `relay2026._domainkey.example.org`.
    pub selector: String,
    /// `RELAY_DKIM_KEY_FILE`: an Ed25519 or RSA (≥ 2048 bits) private key in PEM.
    pub key_file: PathBuf,
}

/// Telegram bot settings.
#[derive(Clone, Debug)]
pub struct TelegramConfig {
    /// `RELAY_TELEGRAM_TOKEN`.
    pub token: Secret,
    /// `RELAY_TELEGRAM_API_URL`; `None` is Telegram's own.
    pub api_url: Option<String>,
    /// `RELAY_TELEGRAM_WEBHOOK_URL`; `None` is long polling.
    pub webhook_url: Option<String>,
    /// `RELAY_TELEGRAM_WEBHOOK_SECRET`, or one derived from the secret key.
    pub webhook_secret: Secret,
    /// `RELAY_TELEGRAM_THROTTLE`: messages a second the sender sends into one chat, 1 by
    /// default (Telegram's advice for private chats; tests raise it).
    pub throttle_per_second: u32,
}

/// WeChat Official Account settings. `Debug` shows no secret (the AES key masks itself).
#[derive(Clone, Debug)]
pub struct WechatConfig {
    /// `RELAY_WECHAT_APP_ID`: the account's AppID (`wx…`), also checked inside safe-mode messages.
    pub app_id: String,
    /// `RELAY_WECHAT_APP_SECRET`: for the access token of the API (sending; not used by the intake).
    pub app_secret: Option<Secret>,
    /// `RELAY_WECHAT_TOKEN`: the server token every request is signed with.
    pub token: Secret,
    /// `RELAY_WECHAT_AES_KEY`: the EncodingAESKey's 32 bytes; set, messages come encrypted (safe mode).
    pub aes_key: Option<crate::wechat::crypt::AesKey>,
    /// `RELAY_WECHAT_API_URL`: the API's base, without a trailing slash.
    pub api_url: String,
    /// `RELAY_WECHAT_PATH`: where the server URL listens.
    pub path: String,
}

/// The default of `RELAY_WECHAT_API_URL`.
pub const DEFAULT_WECHAT_API_URL: &str = "https://api.weixin.qq.com";
/// The default of `RELAY_WECHAT_PATH`.
pub const DEFAULT_WECHAT_PATH: &str = "/wechat";

/// The highest `RELAY_TELEGRAM_THROTTLE`.
pub const MAX_TELEGRAM_THROTTLE: u32 = 1000;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// A value that must never reach a log line: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds something malformed.
    #[error("{var} is invalid: expected {expected} (got {shown})")]
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What a good value looks like.
        expected: &'static str,
        /// The value as it may be shown (secrets masked).
        shown: String,
    },
    /// The data dir or the key file cannot be created or read.
    #[error("RELAY_DATA_DIR {path} is not usable: {source} (expected a writable directory)")]
    DataDir {
        /// The path at fault.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

const MIN_SECRET_LEN: usize = 32;
const KEY_FILE: &str = "secret.key";

impl Config {
    /// Reads the process environment and prepares the data dir.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests), creating
    /// the data dir and the secret key file when needed.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let data_dir = PathBuf::from(get("RELAY_DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        let bind_text = get("RELAY_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let bind: SocketAddr = bind_text.parse().map_err(|_| ConfigError::Invalid {
            var: "RELAY_BIND",
            expected: "an address with a port, such as 127.0.0.1:8080",
            shown: bind_text.clone(),
        })?;

        let public_url = match get("RELAY_PUBLIC_URL") {
            Some(url) => parse_base_url(&url, "RELAY_PUBLIC_URL")?,
            None => format!("http://{bind}"),
        };

        let database_url = match get("DATABASE_URL") {
            Some(url) => {
                validate_database_url(&url)?;
                url
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("charity-relay.db").display()),
        };

        let smtp_url = match get("RELAY_SMTP_URL") {
            Some(url) => {
                let scheme_ok = url.starts_with("smtp://") || url.starts_with("smtps://");
                if !scheme_ok || url.len() <= "smtps://".len() {
                    return Err(ConfigError::Invalid {
                        var: "RELAY_SMTP_URL",
                        expected: "smtp://[user:pass@]host[:port][?tls=required] or smtps://…",
                        shown: mask_url(&url),
                    });
                }
                Some(Secret::new(url))
            }
            None => None,
        };

        let from = get("RELAY_EMAIL_FROM").unwrap_or_else(|| default_from(&public_url));
        if !looks_like_mailbox(&from) {
            return Err(ConfigError::Invalid {
                var: "RELAY_EMAIL_FROM",
                expected: "a mailbox such as `charity-relay <noreply@example.org>`",
                shown: from,
            });
        }

        let dkim = match (get("RELAY_DKIM_SELECTOR"), get("RELAY_DKIM_KEY_FILE")) {
            (None, None) => None,
            (Some(selector), Some(key_file)) => {
                if !valid_selector(&selector) {
                    return Err(ConfigError::Invalid {
                        var: "RELAY_DKIM_SELECTOR",
                        expected: "a DNS label such as `relay2026` (letters, digits, `-`, dots between labels)",
                        shown: selector,
                    });
                }
                Some(DkimSettings {
                    selector,
                    key_file: PathBuf::from(key_file),
                })
            }
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    var: "RELAY_DKIM_KEY_FILE",
                    expected: "the private key's path, set together with RELAY_DKIM_SELECTOR",
                    shown: "nothing".to_owned(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    var: "RELAY_DKIM_SELECTOR",
                    expected: "the DNS selector, set together with RELAY_DKIM_KEY_FILE",
                    shown: "nothing".to_owned(),
                });
            }
        };

        let hourly_limit = match get("RELAY_EMAIL_HOURLY_LIMIT") {
            Some(text) => text.parse::<u32>().map_err(|_| ConfigError::Invalid {
                var: "RELAY_EMAIL_HOURLY_LIMIT",
                expected: "a whole number of emails an hour, 0 for no limit",
                shown: text.clone(),
            })?,
            None => 4,
        };

        let case_retention_days = match get("RELAY_CASE_RETENTION_DAYS") {
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|days| *days >= 1)
                .ok_or_else(|| ConfigError::Invalid {
                    var: "RELAY_CASE_RETENTION_DAYS",
                    expected: "a whole number of days, at least 1",
                    shown: text.clone(),
                })?,
            None => DEFAULT_CASE_RETENTION_DAYS,
        };

        let referral_answer_days = match get("RELAY_REFERRAL_ANSWER_DAYS") {
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|days| (1..=30).contains(days))
                .ok_or_else(|| ConfigError::Invalid {
                    var: "RELAY_REFERRAL_ANSWER_DAYS",
                    expected: "a whole number of working days from 1 to 30",
                    shown: text.clone(),
                })?,
            None => crate::services::referrals::DEFAULT_ANSWER_DAYS,
        };

        let sponsor_renewal_hours = match get("RELAY_SPONSOR_RENEWAL_HOURS") {
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|hours| (1..=MAX_RENEWAL_HOURS).contains(hours))
                .ok_or_else(|| ConfigError::Invalid {
                    var: "RELAY_SPONSOR_RENEWAL_HOURS",
                    expected: "a whole number of hours from 1 to 336",
                    shown: text.clone(),
                })?,
            None => DEFAULT_RENEWAL_HOURS,
        };

        let log_format = match get("RELAY_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "RELAY_LOG_FORMAT",
                    expected: "`text` or `json`",
                    shown: other.to_owned(),
                });
            }
        };

        let secret_key = match get("RELAY_SECRET_KEY") {
            Some(key) if key.len() >= MIN_SECRET_LEN => Secret::new(key),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    var: "RELAY_SECRET_KEY",
                    expected: "at least 32 characters of random text",
                    shown: "a shorter value".to_owned(),
                });
            }
            None => load_or_create_secret_key(&data_dir)?,
        };
        // The data dir holds the SQLite file and the .eml outbox even with an explicit key.
        ensure_dir(&data_dir)?;

        // Checked even with the bot off, so that a typo is reported when it is made.
        let throttle_per_second = match get("RELAY_TELEGRAM_THROTTLE") {
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_TELEGRAM_THROTTLE).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    var: "RELAY_TELEGRAM_THROTTLE",
                    expected: "a whole number of messages a second per chat, from 1 to 1000",
                    shown: text.chars().take(40).collect(),
                })?,
            None => 1,
        };

        let telegram = match get("RELAY_TELEGRAM_TOKEN") {
            None => None,
            Some(token) => {
                let api_url = get("RELAY_TELEGRAM_API_URL")
                    .map(|url| parse_base_url(&url, "RELAY_TELEGRAM_API_URL"))
                    .transpose()?;
                let webhook_url = get("RELAY_TELEGRAM_WEBHOOK_URL")
                    .map(|url| parse_base_url(&url, "RELAY_TELEGRAM_WEBHOOK_URL"))
                    .transpose()?;
                let webhook_secret = match get("RELAY_TELEGRAM_WEBHOOK_SECRET") {
                    Some(s) if valid_webhook_secret(&s) => Secret::new(s),
                    Some(_) => {
                        return Err(ConfigError::Invalid {
                            var: "RELAY_TELEGRAM_WEBHOOK_SECRET",
                            expected: "1 to 256 characters of A-Z, a-z, 0-9, _ and -",
                            shown: "a value with other characters".to_owned(),
                        });
                    }
                    None => Secret::new(crate::crypto::derive_hex(&secret_key, "telegram-webhook", 32)),
                };
                Some(TelegramConfig {
                    token: Secret::new(token),
                    api_url,
                    webhook_url,
                    webhook_secret,
                    throttle_per_second,
                })
            }
        };

        let telegram_bot_username = get("RELAY_TELEGRAM_BOT_USERNAME")
            .map(|raw| bot_username(&raw))
            .transpose()?;

        let wechat = wechat_config(
            &get,
            telegram
                .as_ref()
                .and_then(|t: &TelegramConfig| t.webhook_url.as_deref()),
        )?;

        // Not checked here: a missing font stops certificates only, and start-up says so.
        let cert_font = PathBuf::from(get("RELAY_CERT_FONT").unwrap_or_else(|| crate::pdf::DEFAULT_FONT.to_owned()));

        Ok(Self {
            database_url: Secret::new(database_url),
            data_dir,
            bind,
            public_url,
            secret_key,
            email: EmailConfig {
                smtp_url,
                from,
                hourly_limit,
                dkim,
            },
            telegram,
            telegram_bot_username,
            wechat,
            log_format,
            case_retention_days,
            referral_answer_days,
            sponsor_renewal_hours,
            cert_font,
        })
    }

    /// True when the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

fn parse_base_url(url: &str, var: &'static str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::Invalid {
            var,
            expected: "an http:// or https:// URL such as https://relay.example.org",
            shown: url.to_owned(),
        }),
    }
}

/// The WeChat settings: `None` when none is set; every one checked, and a set without both the
/// AppID and the token refused (naming the one missing), so a half-configured channel never
/// starts silently off.
fn wechat_config(
    get: &impl Fn(&str) -> Option<String>,
    telegram_webhook: Option<&str>,
) -> Result<Option<WechatConfig>, ConfigError> {
    let app_id = get("RELAY_WECHAT_APP_ID");
    let token = get("RELAY_WECHAT_TOKEN");
    let app_secret = get("RELAY_WECHAT_APP_SECRET");
    let aes_key = get("RELAY_WECHAT_AES_KEY");
    let api_url = get("RELAY_WECHAT_API_URL");
    let path = get("RELAY_WECHAT_PATH");
    let any = [&app_id, &token, &app_secret, &aes_key, &api_url, &path]
        .iter()
        .any(|v| v.is_some());
    if !any {
        return Ok(None);
    }
    let missing = |var: &'static str, expected: &'static str| ConfigError::Invalid {
        var,
        expected,
        shown: "nothing".to_owned(),
    };
    let app_id = app_id.ok_or_else(|| {
        missing(
            "RELAY_WECHAT_APP_ID",
            "the account's AppID, set with the other RELAY_WECHAT_ variables",
        )
    })?;
    let token = token.ok_or_else(|| {
        missing(
            "RELAY_WECHAT_TOKEN",
            "the server token, set with the other RELAY_WECHAT_ variables",
        )
    })?;
    let app_id_ok = (6..=32).contains(&app_id.len()) && app_id.bytes().all(|b| b.is_ascii_alphanumeric());
    if !app_id_ok {
        return Err(ConfigError::Invalid {
            var: "RELAY_WECHAT_APP_ID",
            expected: "the AppID from the WeChat admin console, such as wx0123456789abcdef",
            shown: app_id.chars().take(40).collect(),
        });
    }
    // WeChat's own rule for the token: 3 to 32 letters or digits.
    if !((3..=32).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err(ConfigError::Invalid {
            var: "RELAY_WECHAT_TOKEN",
            expected: "3 to 32 letters or digits, as entered in the WeChat admin console",
            shown: "a value of another shape".to_owned(),
        });
    }
    let app_secret = match app_secret {
        Some(s) if (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) => Some(Secret::new(s)),
        Some(_) => {
            return Err(ConfigError::Invalid {
                var: "RELAY_WECHAT_APP_SECRET",
                expected: "the AppSecret from the WeChat admin console (32 letters and digits)",
                shown: "a value of another shape".to_owned(),
            });
        }
        None => None,
    };
    let aes_key = match aes_key {
        Some(text) => Some(
            crate::wechat::crypt::AesKey::from_encoding_aes_key(&text).ok_or(ConfigError::Invalid {
                var: "RELAY_WECHAT_AES_KEY",
                expected: "the EncodingAESKey: 43 characters of A-Z, a-z, 0-9, + and /",
                shown: format!("{} characters", text.chars().count()),
            })?,
        ),
        None => None,
    };
    let api_url = match api_url {
        Some(url) => parse_base_url(&url, "RELAY_WECHAT_API_URL")?,
        None => DEFAULT_WECHAT_API_URL.to_owned(),
    };
    let path = match path {
        Some(p) if valid_route_path(&p) && !telegram_webhook_is(&p, telegram_webhook) => {
            p.trim_end_matches('/').to_owned()
        }
        Some(p) => {
            return Err(ConfigError::Invalid {
                var: "RELAY_WECHAT_PATH",
                expected: "a path of its own such as /wechat (A-Z, a-z, 0-9, -, _ and / between segments; not a page's, not the Telegram webhook's)",
                shown: p.chars().take(40).collect(),
            });
        }
        None => DEFAULT_WECHAT_PATH.to_owned(),
    };
    Ok(Some(WechatConfig {
        app_id,
        app_secret,
        token: Secret::new(token),
        aes_key,
        api_url,
        path,
    }))
}

/// The first segments of the service's own routes: WeChat's path must not fall among them
/// (two routes on one path stop the router from being built).
const RESERVED_SEGMENTS: &[&str] = &[
    "admin",
    "api",
    "apply",
    "beneficiaries",
    "certificates",
    "consent",
    "credit",
    "e",
    "events",
    "healthz",
    "hours",
    "login",
    "logout",
    "metrics",
    "needs",
    "readyz",
    "referrals",
    "resources",
    "settings",
    "sponsorships",
    "static",
    "transparency",
    "unsubscribe",
    "verify",
    "volunteers",
    "welcome",
];

/// A path a route may listen on: `/` then segments of letters, digits, `-` and `_`; no `.`
/// segments, no query, no pattern characters (`{`, `*`) axum would read as captures.
fn valid_route_path(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    path.len() <= 64
        && trimmed.starts_with('/')
        && trimmed.len() > 1
        && trimmed[1..]
            .split('/')
            .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        && trimmed[1..]
            .split('/')
            .next()
            .is_some_and(|first| !RESERVED_SEGMENTS.contains(&first.to_ascii_lowercase().as_str()))
}

/// True when `path` is where the Telegram webhook of `webhook_url` listens.
fn telegram_webhook_is(path: &str, webhook_url: Option<&str>) -> bool {
    webhook_url.is_some_and(|url| crate::bot::webhook_target(url).1.trim_end_matches('/') == path.trim_end_matches('/'))
}

fn validate_database_url(url: &str) -> Result<(), ConfigError> {
    let ok = url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://");
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            var: "DATABASE_URL",
            expected: "sqlite://path/to/file.db?mode=rwc or postgres://user@host:5432/db",
            shown: mask_url(url),
        })
    }
}

/// A bot's username as Telegram allows it (5–32 of A-Z, a-z, 0-9 and `_`), with an `@` in
/// front tolerated: it ends up in a link, so anything else is refused at start-up.
fn bot_username(raw: &str) -> Result<String, ConfigError> {
    let name = raw.trim().trim_start_matches('@');
    let valid = (5..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(ConfigError::Invalid {
            var: "RELAY_TELEGRAM_BOT_USERNAME",
            expected: "the bot's username: 5 to 32 characters of A-Z, a-z, 0-9 and _",
            shown: raw.chars().take(40).collect(),
        })
    }
}

fn valid_webhook_secret(s: &str) -> bool {
    (1..=256).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `爱心接力 Charity Relay <noreply@HOST>` for the public URL's host (its port dropped): a
/// sender under the service's own domain instead of `localhost`, which providers distrust.
fn default_from(public_url: &str) -> String {
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("爱心接力 Charity Relay <noreply@{host}>")
}

/// The domain of a mailbox such as `Name <user@example.org>`, lower-cased.
pub fn mailbox_domain(from: &str) -> Option<String> {
    let addr = match (from.find('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from,
    };
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

fn valid_selector(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn looks_like_mailbox(from: &str) -> bool {
    let addr = match (from.find('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from,
    };
    let mut parts = addr.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && !d.is_empty())
}

/// Hides the password of a URL such as `postgres://user:pass@host/db`.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}://{}:***{}", &url[..scheme_end], &rest[..colon], &rest[at..])
        }
        _ => url.to_owned(),
    }
}

fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    let data_dir_error = |source| ConfigError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    create_private_dir(dir).map_err(data_dir_error)?;
    // create_dir_all succeeds on an existing read-only dir; probe that we can write in it.
    let probe = dir.join(".write-probe");
    std::fs::write(&probe, b"").map_err(data_dir_error)?;
    std::fs::remove_file(&probe).map_err(data_dir_error)
}

fn load_or_create_secret_key(dir: &Path) -> Result<Secret, ConfigError> {
    ensure_dir(dir)?;
    let path = dir.join(KEY_FILE);
    let key_error = |source| ConfigError::DataDir {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_LEN => {
            narrow_to_owner(&path);
            return Ok(Secret::new(text.trim()));
        }
        Ok(_) => {
            return Err(ConfigError::Invalid {
                var: "RELAY_SECRET_KEY",
                expected: "the key file in the data dir to hold at least 32 characters (delete it to make a new one)",
                shown: path.display().to_string(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(key_error(e)),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    write_private_file(&path, key.as_bytes()).map_err(key_error)?;
    Ok(Secret::new(key))
}

/// Creates `dir` (and its missing parents) readable by this account only (0700), whatever
/// the umask, and narrows an existing one to 0700: it holds the database, the secret key and
/// mail with people's addresses. Narrowing is best effort (a folder owned by someone else
/// stays as its owner set it).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Narrows an existing file to 0600 (an install older than this rule, or a file another tool
/// made); a missing file is fine. Best effort, like [`create_private_dir`].
pub fn narrow_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.is_file()
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // create_new: two processes starting at once must not overwrite each other's key.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_with(dir: &Path, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("RELAY_DATA_DIR".into(), dir.display().to_string());
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn a_bot_username_is_kept_without_its_at_and_a_malformed_one_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let config = config_with(dir.path(), &[("RELAY_TELEGRAM_BOT_USERNAME", "@relay_demo_bot")]).expect("config");
        assert_eq!(config.telegram_bot_username.as_deref(), Some("relay_demo_bot"));
        assert!(
            config_with(dir.path(), &[])
                .expect("config")
                .telegram_bot_username
                .is_none()
        );
        for bad in ["bot", "relay bot?x=1", "a/b/c/d/e"] {
            let e = config_with(dir.path(), &[("RELAY_TELEGRAM_BOT_USERNAME", bad)]).expect_err(bad);
            assert!(e.to_string().contains("RELAY_TELEGRAM_BOT_USERNAME"), "{e}");
        }
    }

    #[test]
    fn the_telegram_throttle_is_one_message_a_second_by_default_and_a_bad_value_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let bot = |extra: &[(&str, &str)]| {
            let mut vars = vec![("RELAY_TELEGRAM_TOKEN", "1:x")];
            vars.extend_from_slice(extra);
            config_with(dir.path(), &vars)
        };
        let default = bot(&[]).expect("config").telegram.expect("bot");
        assert_eq!(default.throttle_per_second, 1);
        let fast = bot(&[("RELAY_TELEGRAM_THROTTLE", " 100 ")]).expect("config");
        assert_eq!(fast.telegram.expect("bot").throttle_per_second, 100);
        for bad in ["0", "-1", "1.5", "fast", "1001", "99999999999"] {
            let e = bot(&[("RELAY_TELEGRAM_THROTTLE", bad)]).expect_err(bad).to_string();
            assert!(e.contains("RELAY_TELEGRAM_THROTTLE"), "{e}");
            assert!(e.contains("messages a second per chat, from 1 to 1000"), "{e}");
            assert!(e.contains(bad), "{e}");
        }
        // A typo is reported even while the bot is off.
        assert!(config_with(dir.path(), &[("RELAY_TELEGRAM_THROTTLE", "fast")]).is_err());
    }

    #[test]
    fn defaults_follow_the_design_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config_with(dir.path(), &[]).expect("config");
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(config.is_sqlite());
        assert!(config.database_url.expose().ends_with("charity-relay.db?mode=rwc"));
        assert_eq!(config.email.hourly_limit, 4);
        assert_eq!(config.case_retention_days, DEFAULT_CASE_RETENTION_DAYS);
        assert!(config.email.smtp_url.is_none());
        assert!(config.telegram.is_none());
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.email.from, "爱心接力 Charity Relay <noreply@127.0.0.1>");
        assert!(config.email.dkim.is_none());
    }

    #[test]
    fn the_default_sender_is_under_the_public_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config =
            config_with(dir.path(), &[("RELAY_PUBLIC_URL", "https://Relay.Example.org:8443/")]).expect("config");
        assert_eq!(config.email.from, "爱心接力 Charity Relay <noreply@relay.example.org>");
        assert_eq!(mailbox_domain(&config.email.from).as_deref(), Some("relay.example.org"));
        let explicit = config_with(dir.path(), &[("RELAY_EMAIL_FROM", "Relay <hi@mail.example.net>")]).expect("config");
        assert_eq!(explicit.email.from, "Relay <hi@mail.example.net>");
    }

    #[test]
    fn dkim_needs_both_a_selector_and_a_key_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = config_with(dir.path(), &[("RELAY_DKIM_SELECTOR", "relay")]).expect_err("no key file");
        assert!(err.to_string().starts_with("RELAY_DKIM_KEY_FILE"), "{err}");
        let err = config_with(dir.path(), &[("RELAY_DKIM_KEY_FILE", "/k.pem")]).expect_err("no selector");
        assert!(err.to_string().starts_with("RELAY_DKIM_SELECTOR"), "{err}");
        let err = config_with(
            dir.path(),
            &[("RELAY_DKIM_SELECTOR", "a b"), ("RELAY_DKIM_KEY_FILE", "/k.pem")],
        )
        .expect_err("bad selector");
        assert!(err.to_string().starts_with("RELAY_DKIM_SELECTOR"), "{err}");
        let ok = config_with(
            dir.path(),
            &[("RELAY_DKIM_SELECTOR", "relay2026"), ("RELAY_DKIM_KEY_FILE", "/k.pem")],
        )
        .expect("config");
        assert_eq!(ok.email.dkim.expect("dkim").selector, "relay2026");
    }

    #[test]
    fn secret_key_is_generated_once_with_mode_0600_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = config_with(dir.path(), &[]).expect("config").secret_key;
        let second = config_with(dir.path(), &[]).expect("config").secret_key;
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            ("RELAY_BIND", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("RELAY_PUBLIC_URL", "relay.example.org"),
            ("RELAY_EMAIL_HOURLY_LIMIT", "-1"),
            ("RELAY_SMTP_URL", "mail.example.org"),
            ("RELAY_EMAIL_FROM", "nobody"),
            ("RELAY_LOG_FORMAT", "xml"),
            ("RELAY_SECRET_KEY", "short"),
        ];
        for (var, value) in cases {
            let err = config_with(dir.path(), &[(var, value)]).expect_err(var);
            assert!(err.to_string().starts_with(var), "{var}: {err}");
        }
    }

    #[test]
    fn secrets_are_masked_in_debug_and_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config_with(
            dir.path(),
            &[
                ("DATABASE_URL", "postgres://u:hunter22@db/x"),
                ("RELAY_TELEGRAM_TOKEN", "123:abc"),
            ],
        )
        .expect("config");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter22") && !shown.contains("123:abc"), "{shown}");
        let err = config_with(dir.path(), &[("DATABASE_URL", "mongodb://u:hunter22@db/x")]).expect_err("bad");
        assert!(!err.to_string().contains("hunter22"));
    }

    #[test]
    fn webhook_secret_is_derived_from_the_key_when_unset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vars = [
            ("RELAY_TELEGRAM_TOKEN", "1:x"),
            ("RELAY_SECRET_KEY", "k".repeat(40).leak() as &str),
        ];
        let a = config_with(dir.path(), &vars).expect("config").telegram.expect("bot");
        let b = config_with(dir.path(), &vars).expect("config").telegram.expect("bot");
        assert_eq!(a.webhook_secret, b.webhook_secret);
        assert!(valid_webhook_secret(a.webhook_secret.expose()));
    }

    #[test]
    fn unusable_data_dir_is_a_clear_error() {
        // A path below a regular file cannot be created, even by root.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"").expect("write");
        let err = config_with(&file.join("data"), &[]).expect_err("unusable");
        assert!(err.to_string().starts_with("RELAY_DATA_DIR"), "{err}");
    }

    #[test]
    fn referrals_are_answered_in_three_working_days_by_default_and_a_bad_value_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(config_with(dir.path(), &[]).expect("config").referral_answer_days, 3);
        let five = config_with(dir.path(), &[("RELAY_REFERRAL_ANSWER_DAYS", "5")]).expect("config");
        assert_eq!(five.referral_answer_days, 5);
        for bad in ["0", "31", "three"] {
            let e = config_with(dir.path(), &[("RELAY_REFERRAL_ANSWER_DAYS", bad)]).expect_err(bad);
            assert!(e.to_string().contains("RELAY_REFERRAL_ANSWER_DAYS"), "{e}");
        }
    }

    #[test]
    fn a_sponsor_has_three_days_to_renew_by_default_and_a_bad_value_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(config_with(dir.path(), &[]).expect("config").sponsor_renewal_hours, 72);
        let day = config_with(dir.path(), &[("RELAY_SPONSOR_RENEWAL_HOURS", "24")]).expect("config");
        assert_eq!(day.sponsor_renewal_hours, 24);
        for bad in ["0", "337", "3d"] {
            let e = config_with(dir.path(), &[("RELAY_SPONSOR_RENEWAL_HOURS", bad)]).expect_err(bad);
            assert!(e.to_string().contains("RELAY_SPONSOR_RENEWAL_HOURS"), "{e}");
        }
    }

    const WECHAT_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn wechat_is_off_by_default_and_on_with_an_app_id_and_a_token() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(config_with(dir.path(), &[]).expect("config").wechat.is_none());
        let on = config_with(
            dir.path(),
            &[
                ("RELAY_WECHAT_APP_ID", "wx0123456789abcdef"),
                ("RELAY_WECHAT_TOKEN", "relayToken1"),
            ],
        )
        .expect("config")
        .wechat
        .expect("wechat");
        assert_eq!(on.api_url, DEFAULT_WECHAT_API_URL);
        assert_eq!(on.path, DEFAULT_WECHAT_PATH);
        assert!(on.aes_key.is_none() && on.app_secret.is_none());
        let full = config_with(
            dir.path(),
            &[
                ("RELAY_WECHAT_APP_ID", "wx0123456789abcdef"),
                ("RELAY_WECHAT_TOKEN", "relayToken1"),
                ("RELAY_WECHAT_APP_SECRET", "0123456789abcdef0123456789abcdef"),
                ("RELAY_WECHAT_AES_KEY", WECHAT_KEY),
                ("RELAY_WECHAT_API_URL", "http://127.0.0.1:9/"),
                ("RELAY_WECHAT_PATH", "/hooks/wx/"),
            ],
        )
        .expect("config")
        .wechat
        .expect("wechat");
        assert!(full.aes_key.is_some());
        assert_eq!(full.api_url, "http://127.0.0.1:9");
        assert_eq!(full.path, "/hooks/wx");
    }

    #[test]
    fn a_partial_or_malformed_wechat_set_names_the_variable() {
        let dir = tempfile::tempdir().expect("dir");
        let base = [
            ("RELAY_WECHAT_APP_ID", "wx0123456789abcdef"),
            ("RELAY_WECHAT_TOKEN", "relayToken1"),
        ];
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("RELAY_WECHAT_APP_ID", "wx0123456789abcdef")], "RELAY_WECHAT_TOKEN"),
            (&[("RELAY_WECHAT_TOKEN", "relayToken1")], "RELAY_WECHAT_APP_ID"),
            (&[("RELAY_WECHAT_AES_KEY", WECHAT_KEY)], "RELAY_WECHAT_APP_ID"),
            (&[("RELAY_WECHAT_PATH", "/wx")], "RELAY_WECHAT_APP_ID"),
            (&[("RELAY_WECHAT_APP_ID", "wx 1"), base[1]], "RELAY_WECHAT_APP_ID"),
            (&[base[0], ("RELAY_WECHAT_TOKEN", "a b")], "RELAY_WECHAT_TOKEN"),
            (
                &[base[0], ("RELAY_WECHAT_TOKEN", "x".repeat(33).leak() as &str)],
                "RELAY_WECHAT_TOKEN",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_AES_KEY", "short")],
                "RELAY_WECHAT_AES_KEY",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_AES_KEY", &WECHAT_KEY[1..])],
                "RELAY_WECHAT_AES_KEY",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_APP_SECRET", "s3cret!")],
                "RELAY_WECHAT_APP_SECRET",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_API_URL", "api.weixin.qq.com")],
                "RELAY_WECHAT_API_URL",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_PATH", "wechat")],
                "RELAY_WECHAT_PATH",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_PATH", "/a/../b")],
                "RELAY_WECHAT_PATH",
            ),
            (&[base[0], base[1], ("RELAY_WECHAT_PATH", "/{id}")], "RELAY_WECHAT_PATH"),
            (&[base[0], base[1], ("RELAY_WECHAT_PATH", "/")], "RELAY_WECHAT_PATH"),
            (
                &[base[0], base[1], ("RELAY_WECHAT_PATH", "/login")],
                "RELAY_WECHAT_PATH",
            ),
            (
                &[base[0], base[1], ("RELAY_WECHAT_PATH", "/API/wx")],
                "RELAY_WECHAT_PATH",
            ),
            (
                &[
                    base[0],
                    base[1],
                    ("RELAY_TELEGRAM_TOKEN", "1:x"),
                    ("RELAY_TELEGRAM_WEBHOOK_URL", "https://relay.example.org/hooks"),
                    ("RELAY_WECHAT_PATH", "/hooks"),
                ],
                "RELAY_WECHAT_PATH",
            ),
        ];
        for (vars, var) in cases {
            let e = config_with(dir.path(), vars).expect_err(var).to_string();
            assert!(e.starts_with(var), "{vars:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn wechat_secrets_never_reach_debug_or_errors() {
        let dir = tempfile::tempdir().expect("dir");
        let config = config_with(
            dir.path(),
            &[
                ("RELAY_WECHAT_APP_ID", "wx0123456789abcdef"),
                ("RELAY_WECHAT_TOKEN", "tokenHunter22"),
                ("RELAY_WECHAT_APP_SECRET", "secretHunter22secretHunter22abcd"),
                ("RELAY_WECHAT_AES_KEY", WECHAT_KEY),
            ],
        )
        .expect("config");
        let shown = format!("{config:?}");
        for secret in ["tokenHunter22", "secretHunter22", WECHAT_KEY, "abcdefghij"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let e = config_with(
            dir.path(),
            &[
                ("RELAY_WECHAT_APP_ID", "wx0123456789abcdef"),
                ("RELAY_WECHAT_TOKEN", "tokenHunter22!"),
            ],
        )
        .expect_err("bad token")
        .to_string();
        assert!(!e.contains("tokenHunter22"), "{e}");
        let e = config_with(
            dir.path(),
            &[
                ("RELAY_WECHAT_APP_ID", "wx0123456789abcdef"),
                ("RELAY_WECHAT_TOKEN", "relayToken1"),
                ("RELAY_WECHAT_AES_KEY", &WECHAT_KEY[..40]),
            ],
        )
        .expect_err("bad key")
        .to_string();
        assert!(!e.contains(&WECHAT_KEY[..40]), "{e}");
    }

    #[test]
    fn the_case_retention_is_three_years_by_default_and_a_bad_value_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let default = config_with(dir.path(), &[]).expect("config");
        assert_eq!(default.case_retention_days, 1095);
        let short = config_with(dir.path(), &[("RELAY_CASE_RETENTION_DAYS", "30")]).expect("config");
        assert_eq!(short.case_retention_days, 30);
        for bad in ["0", "-1", "three years"] {
            let e = config_with(dir.path(), &[("RELAY_CASE_RETENTION_DAYS", bad)])
                .expect_err(bad)
                .to_string();
            assert!(e.contains("RELAY_CASE_RETENTION_DAYS") && e.contains(bad), "{e}");
        }
    }
}
