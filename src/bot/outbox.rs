//! The Telegram sender: takes `channel = 'telegram'` outbox rows (email rows belong to the
//! email dispatcher), resolves the merchant's chat when sending (so a chat linked later
//! still gets what waited for it), renders the text in the merchant's current language and
//! sends through teloxide's `Throttle`, which keeps to `RELAY_TELEGRAM_THROTTLE` messages a
//! second per chat (1 by default) and ≈30/s overall and waits out a 429's `retry_after`
//! before retrying.
//!
//! A row is taken with a conditional UPDATE that sets a lease (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, so several instances share the work) and is marked sent right after
//! Telegram accepted it; other failures retry with exponential backoff, and a row is
//! dead after [`MAX_ATTEMPTS`] or on a permanent refusal (the merchant blocked the bot).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use bots::text::{self, Notice};
use bots::{Action, Button, ClaimState, ClaimView, DropOffView, Locale};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use teloxide::adaptors::Throttle;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::{Bot, RequestError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::desk::card_view;
use crate::db;
use crate::domain::Category;
use crate::entities::{merchant, outbox};
use crate::services::access::Caller;
use crate::services::{alerts, needs};

/// Kind of the rows that carry the bot's replies to a chat.
pub const BOT_REPLY: &str = "bot-reply";
/// Attempts before a row is dead.
pub const MAX_ATTEMPTS: i32 = 8;
/// Rows taken at once.
const BATCH: u64 = 20;
/// How long a sender holds a row; longer than the Throttle may make a message wait.
const LEASE_SECONDS: i64 = 120;
/// How often the sender looks for due rows when nothing wakes it.
const IDLE_POLL: StdDuration = StdDuration::from_secs(1);

/// The payload of a [`BOT_REPLY`] row.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct ReplyPayload {
    /// The chat to answer.
    pub chat_id: i64,
    /// The text.
    pub text: String,
    /// Rows of buttons: label and callback data.
    pub buttons: Vec<Vec<(String, String)>>,
}

impl ReplyPayload {
    /// The payload of one dialogue reply to `chat_id`.
    pub fn of(chat_id: i64, reply: &bots::Reply) -> Self {
        Self {
            chat_id,
            text: reply.text.clone(),
            buttons: reply
                .buttons
                .iter()
                .map(|row| row.iter().map(|b| (b.label.clone(), b.data.clone())).collect())
                .collect(),
        }
    }
}

/// Sends due Telegram rows until `cancel`; `wake` makes it look at once.
pub async fn run(db: DatabaseConnection, bot: Throttle<Bot>, wake: Arc<Notify>, cancel: CancellationToken) {
    loop {
        loop {
            match send_due(&db, &bot, Utc::now()).await {
                Ok(0) => break,
                Ok(_) => {
                    if cancel.is_cancelled() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "telegram sender: cannot read the outbox; retrying");
                    break;
                }
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

/// Takes and sends one batch of due rows; returns how many were taken.
pub async fn send_due(
    db: &DatabaseConnection,
    bot: &Throttle<Bot>,
    now: DateTime<Utc>,
) -> Result<usize, sea_orm::DbErr> {
    let ids = take_due(db, now).await?;
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(ids.clone()))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?;
    // Rows of one chat go in order; chats go side by side, so a chat that must wait for
    // its rate limit does not hold the others up.
    let mut by_chat: Vec<(i64, Vec<Ready<'_>>)> = Vec::new();
    for row in &rows {
        match prepare(db, row).await {
            Ok(Prepared::Send { chat_id, text, buttons }) => match by_chat.iter_mut().find(|(c, _)| *c == chat_id) {
                Some((_, queue)) => queue.push((row, text, buttons)),
                None => by_chat.push((chat_id, vec![(row, text, buttons)])),
            },
            Ok(Prepared::Hold) => hold(db, row).await?,
            Ok(Prepared::Drop(reason)) => finish(db, row, Outcome::Dead(reason.to_owned()), Utc::now()).await?,
            Err(e) => {
                let outcome = Outcome::Retry {
                    after: None,
                    error: format!("database: {e}"),
                };
                finish(db, row, outcome, Utc::now()).await?;
            }
        }
    }
    let chats = by_chat.into_iter().map(|(chat_id, queue)| async move {
        for (row, text, buttons) in queue {
            let outcome = match send(bot, chat_id, &text, &buttons).await {
                Ok(()) => Outcome::Sent,
                Err(e) => failure(&e),
            };
            finish(db, row, outcome, Utc::now()).await?;
        }
        Ok::<(), sea_orm::DbErr>(())
    });
    for done in futures::future::join_all(chats).await {
        done?;
    }
    Ok(ids.len())
}

/// Leases due rows to this sender.
async fn take_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<i64>, sea_orm::DbErr> {
    let until = now + Duration::seconds(LEASE_SECONDS);
    if db.get_database_backend() == DbBackend::Postgres {
        let sql = "UPDATE outbox SET locked_until = ? WHERE id IN (\
            SELECT id FROM outbox WHERE channel = 'telegram' AND status IN ('pending','failed') \
            AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?) \
            ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id";
        let stmt = db::statement(
            db,
            sql,
            vec![until.into(), now.into(), now.into(), (BATCH as i64).into()],
        );
        let rows = sea_orm::ConnectionTrait::query_all_raw(db, stmt).await?;
        let mut ids = rows
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
        ids.sort_unstable();
        return Ok(ids);
    }
    // SQLite: one writer at a time; each conditional UPDATE takes one row or nothing.
    let due = |q: sea_orm::Select<outbox::Entity>| {
        q.filter(outbox::Column::Channel.eq("telegram"))
            .filter(outbox::Column::Status.is_in(["pending", "failed"]))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(
                outbox::Column::LockedUntil
                    .is_null()
                    .or(outbox::Column::LockedUntil.lt(now)),
            )
    };
    let candidates: Vec<i64> = due(outbox::Entity::find())
        .select_only()
        .column(outbox::Column::Id)
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut taken = Vec::new();
    for id in candidates {
        let leased = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::val(until))
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Channel.eq("telegram"))
            .filter(outbox::Column::Status.is_in(["pending", "failed"]))
            .filter(
                outbox::Column::LockedUntil
                    .is_null()
                    .or(outbox::Column::LockedUntil.lt(now)),
            )
            .exec(db)
            .await?;
        if leased.rows_affected == 1 {
            taken.push(id);
        }
    }
    Ok(taken)
}

/// Rows of inline buttons: label and callback data.
type Buttons = Vec<Vec<(String, String)>>;

/// A row ready to send: the row, its text and its buttons.
type Ready<'a> = (&'a outbox::Model, String, Buttons);

/// What to do with a row.
enum Prepared {
    Send {
        chat_id: i64,
        text: String,
        buttons: Buttons,
    },
    /// The merchant has no linked chat yet; linking releases the row.
    Hold,
    /// Never to be sent.
    Drop(&'static str),
}

async fn prepare(db: &DatabaseConnection, row: &outbox::Model) -> Result<Prepared, sea_orm::DbErr> {
    if row.kind == BOT_REPLY {
        return Ok(match serde_json::from_str::<ReplyPayload>(&row.payload) {
            Ok(p) => Prepared::Send {
                chat_id: p.chat_id,
                text: p.text,
                buttons: p.buttons,
            },
            Err(_) => Prepared::Drop("unreadable reply payload"),
        });
    }
    let Some(merchant_id) = row.merchant_id.or_else(|| row.recipient.parse().ok()) else {
        return Ok(Prepared::Drop("no merchant"));
    };
    let Some(m) = merchant::Entity::find_by_id(merchant_id).one(db).await? else {
        return Ok(Prepared::Drop("no such merchant"));
    };
    let Some(chat_id) = m.telegram_chat_id else {
        return Ok(Prepared::Hold);
    };
    let lang = m.locale.0;
    match render(db, &row.kind, &row.payload, merchant_id, lang).await? {
        Some((text, buttons)) => Ok(Prepared::Send { chat_id, text, buttons }),
        None => Ok(Prepared::Drop("unknown kind, unreadable payload or closed need")),
    }
}

#[derive(Deserialize)]
struct ClaimPayload {
    claim_id: i64,
    need_id: i64,
    title: String,
    #[serde(default)]
    quantity: i32,
    #[serde(default)]
    unit: String,
    due_date: Option<String>,
    handoff_code: Option<String>,
    drop_off: Option<DropOffPayload>,
    rating: Option<i64>,
    reason: Option<String>,
    stage: Option<String>,
    /// The need's category code; rows queued before it was written have none and read as
    /// goods.
    category: Option<String>,
}

impl ClaimPayload {
    /// True for a claim of volunteer hours: it is served, not delivered.
    fn hours(&self) -> bool {
        self.category.as_deref() == Some(Category::VolunteerHours.as_str())
    }
}

#[derive(Deserialize)]
struct DropOffPayload {
    name: String,
    address: String,
    opening_hours: String,
}

/// The text (and buttons) of a merchant notification of `kind`, in `lang`; `None` when it
/// must not be sent. Public so that tests can render every kind.
pub async fn render(
    db: &DatabaseConnection,
    kind: &str,
    payload: &str,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Vec<Vec<(String, String)>>)>, sea_orm::DbErr> {
    if kind == alerts::ALERT {
        return render_alert(db, payload, merchant_id, lang).await;
    }
    if kind == alerts::DIGEST {
        return render_digest(db, payload, merchant_id, lang).await;
    }
    Ok(claim_notice(kind, payload, lang).map(|text| (text, Vec::new())))
}

/// The text of a notification about a claim (every kind but alerts and digests), from its
/// payload alone; `None` for another kind or an unreadable payload.
pub fn claim_notice(kind: &str, payload: &str, lang: Locale) -> Option<String> {
    let p = serde_json::from_str::<ClaimPayload>(payload).ok()?;
    let due = p.due_date.clone().unwrap_or_default();
    let hours = p.hours();
    let notice = match kind {
        "merchant-claim-confirmed" => Notice::ClaimConfirmed(ClaimView {
            id: p.claim_id,
            need_id: p.need_id,
            need_title: p.title,
            quantity: p.quantity,
            unit: p.unit,
            hours,
            state: ClaimState::Active,
            due: NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap_or_default(),
            handoff_code: p.handoff_code.unwrap_or_default(),
            drop_off: p.drop_off.map(|d| DropOffView {
                name: d.name,
                address: d.address,
                opening_hours: d.opening_hours,
            }),
            dispute_reason: None,
            overdue: false,
        }),
        "merchant-claim-thanks" => Notice::Thanks {
            title: p.title,
            quantity: p.quantity,
            unit: p.unit,
            rating: p.rating,
            hours,
        },
        "merchant-claim-disputed" => Notice::Disputed {
            title: p.title,
            reason: p.reason.unwrap_or_default(),
            hours,
        },
        "merchant-claim-redeliver" => Notice::DeliverAgain {
            title: p.title,
            reason: p.reason.unwrap_or_default(),
            due,
            hours,
        },
        "merchant-claim-released-by-worker" => Notice::EndedByWorker {
            title: p.title,
            quantity: p.quantity,
            unit: p.unit,
            hours,
        },
        "merchant-claim-lapsed" => Notice::Lapsed {
            title: p.title,
            quantity: p.quantity,
            unit: p.unit,
            hours,
        },
        "merchant-claim-reminder" => Notice::Reminder {
            title: p.title,
            quantity: p.quantity,
            unit: p.unit,
            due,
            tomorrow: p.stage.as_deref() == Some("day_before"),
            hours,
        },
        "merchant-need-cancelled" => Notice::NeedEnded {
            title: p.title,
            expired: false,
            // Rows queued before cancels had reasons carry the status code here instead.
            reason: p.reason.filter(|r| r != "cancelled").unwrap_or_default(),
            hours,
        },
        "merchant-need-expired" => Notice::NeedEnded {
            title: p.title,
            expired: true,
            reason: String::new(),
            hours,
        },
        _ => return None,
    };
    Some(text::notice(lang, &notice))
}

/// The card of need `need_id` as `merchant_id` sees it now, if it is still open with
/// something left to claim.
async fn open_card(
    db: &DatabaseConnection,
    need_id: i64,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<bots::NeedCardView>, sea_orm::DbErr> {
    let caller = Caller::Merchant {
        merchant_id,
        token_id: None,
    };
    match needs::get_need(db, &caller, need_id, Utc::now()).await {
        Ok(c) if c.status == crate::domain::NeedStatus::Open && c.left() > 0 => Ok(Some(card_view(c, lang))),
        Ok(_) | Err(crate::services::ServiceError::NotFound(_)) => Ok(None),
        Err(crate::services::ServiceError::Db(e)) => Err(e),
        Err(e) => Err(sea_orm::DbErr::Custom(e.to_string())),
    }
}

/// A daily digest's heading, counting the needs still open (their cards follow as messages of
/// their own); nothing when every need of it closed meanwhile. Rows queued before the cards
/// were separate list one line a need here, with numbered claim buttons.
async fn render_digest(
    db: &DatabaseConnection,
    payload: &str,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Vec<Vec<(String, String)>>)>, sea_orm::DbErr> {
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Ok(None);
    };
    let Some(ids) = payload
        .get("need_ids")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect::<Vec<i64>>())
    else {
        return Ok(None);
    };
    let cards_follow = payload.get("cards_follow").and_then(serde_json::Value::as_bool) == Some(true);
    let mut cards = Vec::new();
    for id in ids {
        if let Some(card) = open_card(db, id, merchant_id, lang).await? {
            cards.push(card);
        }
    }
    if cards.is_empty() {
        return Ok(None);
    }
    if cards_follow {
        return Ok(Some((text::alerts::digest_intro(lang, cards.len()), Vec::new())));
    }
    let mut body = text::alerts::digest_intro(lang, cards.len());
    let mut buttons = Vec::with_capacity(cards.len());
    for (i, card) in cards.iter().enumerate() {
        let number = i + 1;
        body.push('\n');
        body.push_str(&text::alerts::digest_line(lang, number, card));
        buttons.push(claim_buttons(lang, number, card));
    }
    Ok(Some((body, buttons)))
}

/// A need alert, rendered from the need as it is now: a closed need is not pushed.
async fn render_alert(
    db: &DatabaseConnection,
    payload: &str,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Vec<Vec<(String, String)>>)>, sea_orm::DbErr> {
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Ok(None);
    };
    let Some(need_id) = payload.get("need_id").and_then(serde_json::Value::as_i64) else {
        return Ok(None);
    };
    // A card of a daily digest follows the digest's heading and keeps its number there.
    let digest_number = payload
        .get("digest_number")
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    let Some(card) = open_card(db, need_id, merchant_id, lang).await? else {
        return Ok(None);
    };
    let number = digest_number.unwrap_or(1);
    let text = match digest_number {
        Some(n) => text::need_card(lang, n, &card),
        None => format!("{}\n\n{}", text::alert_intro(lang), text::need_card(lang, 1, &card)),
    };
    Ok(Some((text, vec![claim_buttons(lang, number, &card)])))
}

/// The row under need card `number`: claim all of it, or part.
fn claim_buttons(lang: Locale, number: usize, card: &bots::NeedCardView) -> Vec<(String, String)> {
    vec![
        button(
            text::claim_all_button(lang, number, card.hours),
            Action::ClaimAll(card.id),
        ),
        button(
            text::claim_part_button(lang, number, card.hours),
            Action::ClaimPart(card.id),
        ),
    ]
}

fn button(label: String, action: Action) -> (String, String) {
    let b = Button {
        label,
        data: action.encode(),
    };
    (b.label, b.data)
}

async fn send(
    bot: &Throttle<Bot>,
    chat_id: i64,
    text: &str,
    buttons: &[Vec<(String, String)>],
) -> Result<(), RequestError> {
    let mut request = bot.send_message(ChatId(chat_id), text.to_owned());
    if !buttons.is_empty() {
        let keyboard = InlineKeyboardMarkup::new(buttons.iter().map(|row| {
            row.iter()
                .map(|(label, data)| InlineKeyboardButton::callback(label.clone(), data.clone()))
                .collect::<Vec<_>>()
        }));
        request = request.reply_markup(keyboard);
    }
    request.await.map(|_| ())
}

/// How a send ended.
enum Outcome {
    Sent,
    Dead(String),
    Retry { after: Option<Duration>, error: String },
}

fn failure(e: &RequestError) -> Outcome {
    match e {
        // Telegram refused the message itself (blocked bot, unknown chat, bad text):
        // sending it again cannot help.
        RequestError::Api(api) => Outcome::Dead(format!("telegram refused: {api}")),
        RequestError::RetryAfter(seconds) => Outcome::Retry {
            after: Some(Duration::seconds(i64::from(seconds.seconds()))),
            error: "rate limited".into(),
        },
        // The error text of teloxide hides the token.
        other => Outcome::Retry {
            after: None,
            error: other.to_string(),
        },
    }
}

/// Holds `row` until its merchant links a chat. Linking releases the held rows, so a row
/// held just after a link would wait for the next one: the merchant's row is locked and
/// read again in the writing transaction, and a merchant linked meanwhile gets the row
/// back at the next poll instead.
pub async fn hold(db: &DatabaseConnection, row: &outbox::Model) -> Result<(), sea_orm::DbErr> {
    let txn = db::begin_write(db).await?;
    let merchant_id = row.merchant_id.or_else(|| row.recipient.parse().ok());
    let linked = match merchant_id {
        Some(id) => merchant::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .is_some_and(|m| m.telegram_chat_id.is_some()),
        None => false,
    };
    let update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(row.id));
    let update = if linked {
        update
    } else {
        update
            .col_expr(outbox::Column::Status, Expr::val("held"))
            .col_expr(outbox::Column::LastError, Expr::val("no linked chat yet"))
    };
    update.exec(&txn).await?;
    txn.commit().await
}

async fn finish(
    db: &DatabaseConnection,
    row: &outbox::Model,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(row.id));
    let update = match outcome {
        Outcome::Sent => update
            .col_expr(outbox::Column::Status, Expr::val("sent"))
            .col_expr(outbox::Column::SentAt, Expr::val(now))
            .col_expr(outbox::Column::Attempts, Expr::val(row.attempts + 1))
            .col_expr(outbox::Column::LastError, Expr::val(Option::<String>::None)),
        Outcome::Dead(reason) => {
            tracing::warn!(outbox.id = row.id, kind = %row.kind, reason = %reason, "telegram message dropped");
            update
                .col_expr(outbox::Column::Status, Expr::val("dead"))
                .col_expr(outbox::Column::Attempts, Expr::val(row.attempts + 1))
                .col_expr(outbox::Column::LastError, Expr::val(reason))
        }
        Outcome::Retry { after, error } => {
            let attempts = row.attempts + 1;
            let dead = attempts >= MAX_ATTEMPTS;
            let pause = after.unwrap_or_else(|| Duration::seconds(1 << attempts.clamp(1, 9)));
            tracing::warn!(outbox.id = row.id, attempts, error = %error, dead, "telegram send failed");
            update
                .col_expr(outbox::Column::Status, Expr::val(if dead { "dead" } else { "failed" }))
                .col_expr(outbox::Column::Attempts, Expr::val(attempts))
                .col_expr(outbox::Column::NextAttemptAt, Expr::val(now + pause))
                .col_expr(outbox::Column::LastError, Expr::val(error))
        }
    };
    update.exec(db).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(category: Option<&str>) -> String {
        let mut p = serde_json::json!({
            "claim_id": 7, "need_id": 3, "title": "陪伴老人", "quantity": 2, "unit": "小时",
            "due_date": "2026-12-31", "handoff_code": "ACDEFG", "rating": 5, "reason": "没有来",
            "stage": "day_before",
            "drop_off": { "name": "服务点", "address": "东和路8号", "opening_hours": "9:00–18:00" },
        });
        if let Some(c) = category {
            p["category"] = serde_json::json!(c);
        }
        p.to_string()
    }

    const KINDS: [&str; 8] = [
        "merchant-claim-confirmed",
        "merchant-claim-thanks",
        "merchant-claim-disputed",
        "merchant-claim-redeliver",
        "merchant-claim-released-by-worker",
        "merchant-claim-lapsed",
        "merchant-claim-reminder",
        "merchant-need-cancelled",
    ];

    #[test]
    fn a_row_queued_before_the_category_was_written_still_renders_as_goods() {
        for lang in Locale::ALL {
            for kind in KINDS.into_iter().chain(["merchant-need-expired"]) {
                let old = claim_notice(kind, &payload(None), lang).unwrap_or_else(|| panic!("{kind} renders"));
                let goods = claim_notice(kind, &payload(Some("food")), lang).expect("renders");
                assert_eq!(old, goods, "{kind} without a category reads as goods");
            }
            let confirmed = claim_notice("merchant-claim-confirmed", &payload(None), lang).expect("renders");
            assert!(
                confirmed.contains("ACDEFG") && confirmed.contains("服务点"),
                "{confirmed}"
            );
        }
    }

    #[test]
    fn a_volunteer_hours_notice_speaks_of_serving_not_delivering() {
        for lang in Locale::ALL {
            let hours = payload(Some("volunteer_hours"));
            for kind in KINDS.into_iter().chain(["merchant-need-expired"]) {
                let text = claim_notice(kind, &hours, lang).unwrap_or_else(|| panic!("{kind} renders"));
                let goods = claim_notice(kind, &payload(None), lang).expect("renders");
                assert_ne!(text, goods, "{kind} says something else for hours");
                for word in [
                    "送达",
                    "交接码",
                    "deliver",
                    "Deliver",
                    "Drop-off",
                    "Handoff",
                    "ACDEFG",
                    "服务点",
                ] {
                    assert!(!text.contains(word), "{kind} in {lang:?} says {word:?}: {text}");
                }
            }
            let confirmed = claim_notice("merchant-claim-confirmed", &hours, lang).expect("renders");
            let thanks = claim_notice("merchant-claim-thanks", &hours, lang).expect("renders");
            match lang {
                Locale::ZhCn => {
                    assert!(confirmed.contains("服务时间"), "{confirmed}");
                    assert!(thanks.contains("已完成服务"), "{thanks}");
                }
                Locale::En => {
                    assert!(confirmed.contains("Service time"), "{confirmed}");
                    assert!(thanks.contains("service done"), "{thanks}");
                }
            }
        }
    }

    #[test]
    fn an_unknown_kind_or_an_unreadable_payload_is_not_sent() {
        assert_eq!(
            claim_notice("merchant-claim-unknown", &payload(None), Locale::ZhCn),
            None
        );
        assert_eq!(claim_notice("merchant-claim-thanks", "not json", Locale::En), None);
    }
}
