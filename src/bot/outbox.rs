//! The Telegram sender: the [`notify::Sender`] of `channel = 'telegram'` outbox rows,
//! driven by the one dispatcher ([`crate::notify`]) with its leasing, retries and dead
//! state. It resolves the merchant's chat when sending (so a chat linked later still gets
//! what waited for it), renders the text in the merchant's current language and sends
//! through teloxide's `Throttle`, which keeps to `RELAY_TELEGRAM_THROTTLE` messages a second
//! per chat (1 by default) and ≈30/s overall and waits out a 429's `retry_after` before
//! retrying. Rows of one chat go in the order they were leased; chats go side by side.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bots::text::{self, Notice};
use bots::{Action, Button, ClaimState, ClaimView, DropOffView, Locale};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use teloxide::adaptors::Throttle;
use teloxide::payloads::{SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile};
use teloxide::{Bot, RequestError};

use super::desk::card_view;
use crate::domain::{Category, Channel};
use crate::notify::{self, Outgoing, SendError};
use crate::services::access::Caller;
use crate::services::outbox::{ClaimNotice, NeedAlert, NeedDigest, Notification, SponsorOffer};
use crate::services::{certificates, needs, sponsorships, telegram};

/// The payload of a `bot-reply` row.
pub use crate::services::outbox::BotReply as ReplyPayload;

/// Rows of inline buttons: label and callback data.
type Buttons = Vec<Vec<(String, String)>>;

/// Sends Telegram rows for the dispatcher.
pub struct TelegramSender {
    db: DatabaseConnection,
    bot: Throttle<Bot>,
    /// One lock a chat (or a merchant whose chat is looked up when sending), taken before
    /// anything else, so that a chat's rows reach Telegram in the order they were leased.
    lanes: Mutex<HashMap<Lane, Arc<tokio::sync::Mutex<()>>>>,
    /// The font and the public URL certificates are drawn with; `None`: no PDFs.
    certificates: Option<(PathBuf, String)>,
}

/// Whose turn a row waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    Chat(i64),
    Merchant(i64),
}

impl TelegramSender {
    /// A sender through `bot` (throttled per chat), reading merchants from `db`.
    pub fn new(db: DatabaseConnection, bot: Throttle<Bot>) -> Self {
        Self {
            db,
            bot,
            lanes: Mutex::new(HashMap::new()),
            certificates: None,
        }
    }

    /// Sends certificate PDFs drawn with `font`, their check at `public_url`.
    pub fn with_certificates(mut self, font: PathBuf, public_url: String) -> Self {
        self.certificates = Some((font, public_url));
        self
    }

    /// The reply as a PDF document with the text as its caption (and the buttons).
    async fn send_certificate(&self, reply: &ReplyPayload, number: &str) -> Result<(), SendError> {
        let Some((font, public_url)) = &self.certificates else {
            return Err(SendError::Failed("certificates are not set up for this sender".into()));
        };
        let view = certificates::for_delivery(&self.db, number)
            .await
            .map_err(|e| match e {
                crate::services::ServiceError::Db(e) => database(e),
                other => SendError::Failed(other.to_string()),
            })?;
        let sheet = crate::pdf::certificate::sheet(&view, format!("{public_url}/verify/{number}"));
        let pdf = crate::pdf::render_certificate(font, sheet)
            .await
            .map_err(|e| SendError::Failed(e.to_string()))?;
        let file = InputFile::memory(pdf).file_name(format!("{number}.pdf"));
        let mut request = self
            .bot
            .send_document(ChatId(reply.chat_id), file)
            .caption(reply.text.clone());
        if !reply.buttons.is_empty() {
            request = request.reply_markup(keyboard(&reply.buttons));
        }
        request.await.map(|_| ()).map_err(|e| failure(&e))
    }

    fn lane(&self, lane: Lane) -> Arc<tokio::sync::Mutex<()>> {
        match self.lanes.lock() {
            Ok(mut lanes) => {
                // Lanes nobody holds or waits for are dropped, so the map stays small.
                lanes.retain(|_, l| Arc::strong_count(l) > 1);
                lanes.entry(lane).or_default().clone()
            }
            // A poisoned map only loses the ordering, never a message.
            Err(_) => Arc::default(),
        }
    }

    async fn deliver(&self, item: &Outgoing, merchant_id: Option<i64>) -> Result<(), SendError> {
        if let Notification::BotReply(reply) = &item.notification {
            if let Some(number) = &reply.certificate {
                return self.send_certificate(reply, number).await;
            }
            return send(&self.bot, reply.chat_id, &reply.text, &reply.buttons)
                .await
                .map_err(|e| failure(&e));
        }
        // A shop that applied has no merchant (yet, or at all): its chat is named.
        if let Some((chat_id, text)) = application_outcome(&item.notification, item.locale) {
            return send(&self.bot, chat_id, &text, &Vec::new())
                .await
                .map_err(|e| failure(&e));
        }
        let merchant_id = merchant_id.ok_or_else(|| SendError::Failed("no merchant".into()))?;
        let chat = telegram::merchant_chat(&self.db, merchant_id)
            .await
            .map_err(database)?
            .ok_or_else(|| SendError::Failed("no such merchant".into()))?;
        let Some(chat_id) = chat.chat_id else {
            telegram::hold_until_linked(&self.db, item.id, Some(merchant_id))
                .await
                .map_err(database)?;
            return Err(SendError::Held("no linked chat yet".into()));
        };
        let lang = chat.locale;
        let Some((text, buttons)) = render_notification(&self.db, &item.notification, merchant_id, lang)
            .await
            .map_err(database)?
        else {
            return Err(SendError::Failed(
                "unknown kind, unreadable payload or closed need".into(),
            ));
        };
        send(&self.bot, chat_id, &text, &buttons).await.map_err(|e| failure(&e))
    }
}

#[async_trait]
impl notify::Sender for TelegramSender {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    async fn send(&self, item: &Outgoing, _now: DateTime<Utc>) -> Result<(), SendError> {
        let merchant_id = item.merchant_id.or_else(|| item.recipient.parse().ok());
        let lane = match (&item.notification, merchant_id) {
            (Notification::BotReply(reply), _) => Some(Lane::Chat(reply.chat_id)),
            (
                Notification::MerchantApplicationApproved(o)
                | Notification::MerchantApplicationMoreInfo(o)
                | Notification::MerchantApplicationRejected(o),
                _,
            ) => Some(Lane::Chat(o.chat_id)),
            (_, Some(id)) => Some(Lane::Merchant(id)),
            (_, None) => None,
        };
        let lane = lane.map(|l| self.lane(l));
        let _turn = match &lane {
            Some(lane) => Some(lane.lock().await),
            None => None,
        };
        self.deliver(item, merchant_id).await
    }
}

fn database(e: sea_orm::DbErr) -> SendError {
    SendError::Temporary(format!("database: {e}"))
}

/// The text (and buttons) of a stored merchant notification of `kind`, in `lang`; `None`
/// when it must not be sent. Public so that tests can render every kind.
pub async fn render(
    db: &DatabaseConnection,
    kind: &str,
    payload: &str,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Buttons)>, sea_orm::DbErr> {
    match Notification::from_row(kind, payload) {
        Ok(notification) => render_notification(db, &notification, merchant_id, lang).await,
        Err(_) => Ok(None),
    }
}

/// The text (and buttons) of `notification` to merchant `merchant_id` in `lang`; `None`
/// when it must not be sent (a closed need, or no Telegram message at all).
pub async fn render_notification(
    db: &DatabaseConnection,
    notification: &Notification,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Buttons)>, sea_orm::DbErr> {
    match notification {
        Notification::MerchantNeedAlert(alert) => render_alert(db, alert, merchant_id, lang).await,
        Notification::MerchantNeedDigest(digest) => render_digest(db, digest, merchant_id, lang).await,
        Notification::BotReply(reply) => Ok(Some((reply.text.clone(), reply.buttons.clone()))),
        Notification::MerchantApplicationApproved(_)
        | Notification::MerchantApplicationMoreInfo(_)
        | Notification::MerchantApplicationRejected(_) => {
            Ok(application_outcome(notification, lang).map(|(_, text)| (text, Vec::new())))
        }
        Notification::MerchantSponsorRenewal(offer) => render_renewal(db, offer, merchant_id, lang).await,
        other => Ok(notice_text(other, lang).map(|text| (text, Vec::new()))),
    }
}

/// The text of a notification about a claim (every kind but alerts and digests), from its
/// payload alone; `None` for another kind or an unreadable payload.
pub fn claim_notice(kind: &str, payload: &str, lang: Locale) -> Option<String> {
    notice_text(&Notification::from_row(kind, payload).ok()?, lang)
}

/// The chat and text of the office's decision on a shop's application, in `lang`; `None`
/// for any other kind.
pub fn application_outcome(notification: &Notification, lang: Locale) -> Option<(i64, String)> {
    match notification {
        Notification::MerchantApplicationApproved(o) => Some((o.chat_id, text::join::approved(lang, &o.shop_name))),
        Notification::MerchantApplicationMoreInfo(o) => {
            Some((o.chat_id, text::join::more_info(lang, &o.shop_name, &o.message)))
        }
        Notification::MerchantApplicationRejected(o) => {
            Some((o.chat_id, text::join::rejected(lang, &o.shop_name, &o.message)))
        }
        _ => None,
    }
}

/// True for a claim of volunteer hours: it is served, not delivered.
fn hours(p: &ClaimNotice) -> bool {
    p.category.as_deref() == Some(Category::VolunteerHours.as_str())
}

/// The text of a merchant's notice about one of its claims; `None` for a message that is
/// no such notice.
fn notice_text(notification: &Notification, lang: Locale) -> Option<String> {
    use Notification as N;
    let notice = match notification.clone() {
        N::MerchantClaimConfirmed(p) => {
            let hours = hours(&p);
            Notice::ClaimConfirmed(ClaimView {
                id: p.claim_id,
                need_id: p.need_id,
                need_title: p.title,
                quantity: quantity(p.quantity),
                unit: p.unit.unwrap_or_default(),
                hours,
                state: ClaimState::Active,
                due: NaiveDate::parse_from_str(&p.due_date.unwrap_or_default(), "%Y-%m-%d").unwrap_or_default(),
                handoff_code: p.handoff_code.unwrap_or_default(),
                drop_off: p.drop_off.map(|d| DropOffView {
                    name: d.name,
                    address: d.address,
                    opening_hours: d.opening_hours,
                }),
                dispute_reason: None,
                overdue: false,
            })
        }
        N::MerchantClaimThanks(p) => Notice::Thanks {
            hours: hours(&p),
            quantity: quantity(p.quantity),
            unit: p.unit.unwrap_or_default(),
            rating: p.rating,
            title: p.title,
        },
        N::MerchantClaimDisputed(p) => Notice::Disputed {
            hours: hours(&p),
            title: p.title,
            reason: p.reason.unwrap_or_default(),
        },
        N::MerchantClaimRedeliver(p) => Notice::DeliverAgain {
            hours: hours(&p),
            title: p.title,
            reason: p.reason.unwrap_or_default(),
            due: p.due_date.unwrap_or_default(),
        },
        N::MerchantClaimReleasedByWorker(p) => Notice::EndedByWorker {
            hours: hours(&p),
            quantity: quantity(p.quantity),
            unit: p.unit.unwrap_or_default(),
            title: p.title,
        },
        N::MerchantClaimLapsed(p) => Notice::Lapsed {
            hours: hours(&p),
            quantity: quantity(p.quantity),
            unit: p.unit.unwrap_or_default(),
            title: p.title,
        },
        N::MerchantClaimReminder(p) => Notice::Reminder {
            hours: hours(&p),
            quantity: quantity(p.quantity),
            unit: p.unit.unwrap_or_default(),
            due: p.due_date.unwrap_or_default(),
            tomorrow: p.stage.as_deref() == Some("day_before"),
            title: p.title,
        },
        N::MerchantNeedCancelled(p) => Notice::NeedEnded {
            hours: hours(&p),
            expired: false,
            // Rows queued before cancels had reasons carry the status code here instead.
            reason: p.reason.filter(|r| r != "cancelled").unwrap_or_default(),
            title: p.title,
        },
        N::MerchantNeedExpired(p) => Notice::NeedEnded {
            hours: hours(&p),
            expired: true,
            reason: String::new(),
            title: p.title,
        },
        N::MerchantSponsorshipEnded(p) => Notice::SponsorshipEnded {
            title: p.title,
            reason: p.reason,
        },
        // Alerts, digests, renewals and replies are rendered elsewhere; the rest are emails.
        N::MerchantSponsorRenewal(_)
        | N::MerchantNeedAlert(_)
        | N::MerchantNeedDigest(_)
        | N::BotReply(_)
        | N::MerchantApplicationApproved(_)
        | N::MerchantApplicationMoreInfo(_)
        | N::MerchantApplicationRejected(_)
        | N::ContactConsent
        | N::ApplicationVerify(_)
        | N::ApplicationMoreInfo(_)
        | N::ApplicationApproved(_)
        | N::ApplicationRejected(_)
        | N::ResidentNeedRegistered(_)
        | N::ResidentNeedClaimed(_)
        | N::ResidentNeedSponsored(_)
        | N::ResidentNeedDelivered(_)
        | N::ResidentNeedCancelled(_)
        | N::ResidentNeedExpired(_)
        | N::ResidentHoursConfirmed(_)
        | N::ResidentEventInvite(_)
        | N::ResidentEventSignedUp(_)
        | N::ResidentEventPromoted(_)
        | N::ResidentEventReminder(_)
        | N::ResidentEventCancelled(_)
        | N::ResidentEventSignupCancelled(_)
        | N::Digest(_)
        | N::WorkerNeedClaimed(_)
        | N::WorkerDeliveryToConfirm(_)
        | N::WorkerClaimReleased(_)
        | N::WorkerClaimLapsed(_)
        | N::WorkerNeedNearDeadline(_)
        | N::WorkerDuplicateCoordinate(_)
        | N::WorkerReferralReceived(_)
        | N::WorkerReferralReminder(_)
        | N::WorkerReferralAccepted(_)
        | N::WorkerReferralDeclined(_) => return None,
    };
    Some(text::notice(lang, &notice))
}

/// The renewal question of a period offered to its sponsor, with its two buttons; nothing
/// once the offer no longer stands (renewed, stopped or past its window before it is sent).
async fn render_renewal(
    db: &DatabaseConnection,
    offer: &SponsorOffer,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Buttons)>, sea_orm::DbErr> {
    if !sponsorships::offer_stands(db, offer.need_id, merchant_id, Utc::now()).await? {
        return Ok(None);
    }
    let name = if lang == Locale::ZhCn {
        &offer.period_zh
    } else {
        &offer.period_en
    };
    let text = text::sponsor::renewal(lang, &offer.title, offer.quantity, &offer.unit, name, &offer.until);
    let buttons = vec![
        vec![(
            text::sponsor::renew_button(lang, name),
            Action::Renew(offer.need_id).encode(),
        )],
        vec![(
            text::sponsor::stop_button(lang),
            Action::SponsorStopAsk(offer.sponsorship_id).encode(),
        )],
    ];
    Ok(Some((text, buttons)))
}

/// A stored quantity as the dialogue shows it; rows without one read as 0.
fn quantity(q: Option<i64>) -> i32 {
    q.and_then(|q| i32::try_from(q).ok()).unwrap_or_default()
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
    digest: &NeedDigest,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Buttons)>, sea_orm::DbErr> {
    let mut cards = Vec::new();
    for &id in &digest.need_ids {
        if let Some(card) = open_card(db, id, merchant_id, lang).await? {
            cards.push(card);
        }
    }
    if cards.is_empty() {
        return Ok(None);
    }
    if digest.cards_follow {
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
    alert: &NeedAlert,
    merchant_id: i64,
    lang: Locale,
) -> Result<Option<(String, Buttons)>, sea_orm::DbErr> {
    // A card of a daily digest follows the digest's heading and keeps its number there.
    let digest_number = alert.digest_number.and_then(|n| usize::try_from(n).ok());
    let Some(card) = open_card(db, alert.need_id, merchant_id, lang).await? else {
        return Ok(None);
    };
    let number = digest_number.unwrap_or(1);
    let text = match (digest_number, &alert.asked_by) {
        (Some(n), _) => text::need_card(lang, n, &card),
        (None, Some(asker)) => format!(
            "{}\n\n{}",
            text::asked_intro(lang, asker),
            text::need_card(lang, 1, &card)
        ),
        (None, None) => format!("{}\n\n{}", text::alert_intro(lang), text::need_card(lang, 1, &card)),
    };
    let mut rows = vec![claim_buttons(lang, number, &card)];
    if alert.asked_by.is_some() {
        rows.push(vec![button(
            text::ask_decline_button(lang),
            Action::AskDecline(card.id),
        )]);
    }
    Ok(Some((text, rows)))
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
        request = request.reply_markup(keyboard(buttons));
    }
    request.await.map(|_| ())
}

fn keyboard(buttons: &[Vec<(String, String)>]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(buttons.iter().map(|row| {
        row.iter()
            .map(|(label, data)| InlineKeyboardButton::callback(label.clone(), data.clone()))
            .collect::<Vec<_>>()
    }))
}

/// Sorts a refused send: Telegram refusing the message itself (blocked bot, unknown chat,
/// bad text) is for good; a 429 that outlasted the throttle's own wait and network
/// trouble may pass.
fn failure(e: &RequestError) -> SendError {
    match e {
        RequestError::Api(api) => SendError::Failed(format!("telegram refused: {api}")),
        RequestError::RetryAfter(_) => SendError::Temporary("rate limited".into()),
        // The error text of teloxide hides the token.
        other => SendError::Temporary(other.to_string()),
    }
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
