//! The vocabulary of the outbox: one variant a kind of message, written by the services and
//! read by the email templates and the Telegram sender, so that a new kind is one variant
//! and the compiler finds every place that must say it.
//!
//! A row stores the variant's tag in `outbox.kind` and the rest, as a JSON object, in
//! `outbox.payload` (the tag is not repeated there). Fields that rows written before a
//! field existed lack read as their default, so every stored row still reads back.

use serde::{Deserialize, Serialize};

/// One message in the outbox. Payloads hold only public facts (need title, quantities, a
/// merchant's public name, dates), never a beneficiary's personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Notification {
    /// The double opt-in email; its link is made when it is sent.
    ContactConsent,
    /// To a resident: their need was posted.
    ResidentNeedRegistered(NeedRegistered),
    /// To a resident: a merchant claimed their need.
    ResidentNeedClaimed(NeedClaimed),
    /// To a resident: the delivery was confirmed.
    ResidentNeedDelivered(NeedDelivered),
    /// To a resident: their need was cancelled.
    ResidentNeedCancelled(NeedEnded),
    /// To a resident: their need expired.
    ResidentNeedExpired(NeedEnded),
    /// To a volunteer: their hours were confirmed.
    ResidentHoursConfirmed(HoursConfirmed),
    /// To a volunteer: an event of their organization, with a sign-up link per role (made when it is sent).
    ResidentEventInvite(EventInvite),
    /// To a volunteer: their sign-up stands (or waits on the list), with a cancel link (made when it is sent).
    ResidentEventSignedUp(EventSignupNotice),
    /// To a volunteer: someone cancelled and they moved up from the waitlist.
    ResidentEventPromoted(EventSignupNotice),
    /// To a volunteer: the event is tomorrow.
    ResidentEventReminder(EventSignupNotice),
    /// To a volunteer: the organizer cancelled the event (with the reason it gave).
    ResidentEventCancelled(EventSignupNotice),
    /// To a volunteer: the organizer cancelled their sign-up for them (they phoned, say).
    ResidentEventSignupCancelled(EventSignupNotice),
    /// To a resident: a merchant sponsors this period of their recurring need (once a period).
    ResidentNeedSponsored(NeedSponsored),
    /// To a resident: the notifications held back by the hourly limit, in one email.
    Digest(Digest),
    /// To the posting worker: a merchant claimed the need.
    WorkerNeedClaimed(NeedClaimed),
    /// To the posting worker: a delivery (or a delivery after a dispute) awaits confirmation.
    WorkerDeliveryToConfirm(DeliveryToConfirm),
    /// To the posting worker: a merchant released its claim.
    WorkerClaimReleased(ClaimFacts),
    /// To the posting worker: a claim lapsed undelivered.
    WorkerClaimLapsed(ClaimLapsed),
    /// To the posting worker: the deadline is near and the need is not fully claimed.
    WorkerNeedNearDeadline(NearDeadline),
    /// To both organizations' workers: a beneficiary may be registered twice.
    WorkerDuplicateCoordinate(Coordinate),
    /// To the receiving organization's workers: a case is referred to them.
    WorkerReferralReceived(ReferralNotice),
    /// To the receiving organization's workers: the answer to a referral is late.
    WorkerReferralReminder(ReferralNotice),
    /// To the sending organization's workers: the referral was accepted.
    WorkerReferralAccepted(ReferralNotice),
    /// To the sending organization's workers: the referral was declined.
    WorkerReferralDeclined(ReferralNotice),
    /// To a merchant: its claim stands, with the handoff code.
    MerchantClaimConfirmed(ClaimNotice),
    /// To a merchant: the worker confirmed the delivery.
    MerchantClaimThanks(ClaimNotice),
    /// To a merchant: the worker disputed the delivery.
    MerchantClaimDisputed(ClaimNotice),
    /// To a merchant: the office asks it to deliver again.
    MerchantClaimRedeliver(ClaimNotice),
    /// To a merchant: the worker ended the disputed claim.
    MerchantClaimReleasedByWorker(ClaimNotice),
    /// To a merchant: its claim lapsed undelivered.
    MerchantClaimLapsed(ClaimNotice),
    /// To a merchant: its claim is due soon.
    MerchantClaimReminder(ClaimNotice),
    /// To a merchant: the claimed need was cancelled.
    MerchantNeedCancelled(ClaimNotice),
    /// To a merchant: the claimed need expired.
    MerchantNeedExpired(ClaimNotice),
    /// To a sponsor: the next period is offered to it first, to renew or stop.
    MerchantSponsorRenewal(SponsorOffer),
    /// To a sponsor: the sponsorship ended (the social worker ended it, the case closed…).
    MerchantSponsorshipEnded(SponsorshipEnded),
    /// To a merchant: a need it may want to claim (alone, or as a card of a digest).
    MerchantNeedAlert(NeedAlert),
    /// To a merchant: the heading of a daily digest of needs.
    MerchantNeedDigest(NeedDigest),
    /// A reply of the bot's dialogue to a chat.
    BotReply(BotReply),
    /// To an organization applying for admission: verify the contact email (the link is
    /// made when it is sent).
    ApplicationVerify(ApplicationNotice),
    /// To the applicant: the office asks for more, with a link to edit and resubmit (made
    /// when it is sent).
    ApplicationMoreInfo(ApplicationNotice),
    /// To the applicant: admitted, with the one-time link that sets the first account's
    /// password (made when it is sent).
    ApplicationApproved(ApplicationNotice),
    /// To the applicant: not admitted, and why.
    ApplicationRejected(ApplicationNotice),
    /// To a shop that applied in the bot: the office approved it and its chat is linked.
    MerchantApplicationApproved(ApplicationOutcome),
    /// To a shop that applied in the bot: the office asks for more (`/join` to edit).
    MerchantApplicationMoreInfo(ApplicationOutcome),
    /// To a shop that applied in the bot: the office declined, with why.
    MerchantApplicationRejected(ApplicationOutcome),
}

/// Why a stored row does not read as a [`Notification`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The payload is not a JSON object.
    #[error("payload of `{kind}` is not a JSON object")]
    NotAnObject {
        /// The stored kind.
        kind: String,
    },
    /// An unknown kind, or a payload that lacks what its kind needs.
    #[error("unreadable `{kind}` row: {source}")]
    Unreadable {
        /// The stored kind.
        kind: String,
        /// What serde found.
        source: serde_json::Error,
    },
}

impl Notification {
    /// The kind of a double opt-in email, as stored.
    pub const CONSENT: &'static str = "contact-consent";
    /// The kind of a resident's digest, as stored.
    pub const DIGEST: &'static str = "digest";

    /// Reads a stored row: its `kind` column and its `payload` text.
    pub fn from_row(kind: &str, payload: &str) -> Result<Self, DecodeError> {
        let value = serde_json::from_str(payload).map_err(|source| DecodeError::Unreadable {
            kind: kind.to_owned(),
            source,
        })?;
        Self::from_parts(kind, value)
    }

    /// Reads a kind and its payload as a JSON value.
    pub fn from_parts(kind: &str, payload: serde_json::Value) -> Result<Self, DecodeError> {
        let serde_json::Value::Object(mut fields) = payload else {
            return Err(DecodeError::NotAnObject { kind: kind.to_owned() });
        };
        fields.insert("kind".to_owned(), serde_json::Value::String(kind.to_owned()));
        serde_json::from_value(serde_json::Value::Object(fields)).map_err(|source| DecodeError::Unreadable {
            kind: kind.to_owned(),
            source,
        })
    }

    /// The stored payload: the variant's fields, without the kind (stored in a column of
    /// its own).
    pub fn payload(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(fields) = value.as_object_mut() {
            fields.remove("kind");
            for key in self.written_as_null() {
                fields.entry(*key).or_insert(serde_json::Value::Null);
            }
        }
        value
    }

    /// The optional facts this kind has always stored as `null` when absent (the other
    /// kinds sharing its struct leave them out), so that new rows keep the stored shape.
    const fn written_as_null(&self) -> &'static [&'static str] {
        match self {
            Self::MerchantClaimConfirmed(_) => &["drop_off"],
            Self::MerchantClaimThanks(_) => &["rating"],
            Self::MerchantClaimRedeliver(_) | Self::MerchantClaimReleasedByWorker(_) => &["due_date", "reason"],
            _ => &[],
        }
    }

    /// The stored kind, e.g. `resident-need-claimed` (serde's tag; a test checks they agree).
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::ContactConsent => "contact-consent",
            Self::ResidentNeedRegistered(_) => "resident-need-registered",
            Self::ResidentNeedClaimed(_) => "resident-need-claimed",
            Self::ResidentNeedDelivered(_) => "resident-need-delivered",
            Self::ResidentNeedCancelled(_) => "resident-need-cancelled",
            Self::ResidentNeedExpired(_) => "resident-need-expired",
            Self::ResidentHoursConfirmed(_) => "resident-hours-confirmed",
            Self::ResidentNeedSponsored(_) => "resident-need-sponsored",
            Self::ResidentEventInvite(_) => "resident-event-invite",
            Self::ResidentEventSignedUp(_) => "resident-event-signed-up",
            Self::ResidentEventPromoted(_) => "resident-event-promoted",
            Self::ResidentEventReminder(_) => "resident-event-reminder",
            Self::ResidentEventCancelled(_) => "resident-event-cancelled",
            Self::ResidentEventSignupCancelled(_) => "resident-event-signup-cancelled",
            Self::Digest(_) => "digest",
            Self::WorkerNeedClaimed(_) => "worker-need-claimed",
            Self::WorkerDeliveryToConfirm(_) => "worker-delivery-to-confirm",
            Self::WorkerClaimReleased(_) => "worker-claim-released",
            Self::WorkerClaimLapsed(_) => "worker-claim-lapsed",
            Self::WorkerNeedNearDeadline(_) => "worker-need-near-deadline",
            Self::WorkerDuplicateCoordinate(_) => "worker-duplicate-coordinate",
            Self::WorkerReferralReceived(_) => "worker-referral-received",
            Self::WorkerReferralReminder(_) => "worker-referral-reminder",
            Self::WorkerReferralAccepted(_) => "worker-referral-accepted",
            Self::WorkerReferralDeclined(_) => "worker-referral-declined",
            Self::MerchantClaimConfirmed(_) => "merchant-claim-confirmed",
            Self::MerchantClaimThanks(_) => "merchant-claim-thanks",
            Self::MerchantClaimDisputed(_) => "merchant-claim-disputed",
            Self::MerchantClaimRedeliver(_) => "merchant-claim-redeliver",
            Self::MerchantClaimReleasedByWorker(_) => "merchant-claim-released-by-worker",
            Self::MerchantClaimLapsed(_) => "merchant-claim-lapsed",
            Self::MerchantClaimReminder(_) => "merchant-claim-reminder",
            Self::MerchantNeedCancelled(_) => "merchant-need-cancelled",
            Self::MerchantNeedExpired(_) => "merchant-need-expired",
            Self::MerchantSponsorRenewal(_) => "merchant-sponsor-renewal",
            Self::MerchantSponsorshipEnded(_) => "merchant-sponsorship-ended",
            Self::MerchantNeedAlert(_) => "merchant-need-alert",
            Self::MerchantNeedDigest(_) => "merchant-need-digest",
            Self::BotReply(_) => "bot-reply",
            Self::ApplicationVerify(_) => "application-verify",
            Self::ApplicationMoreInfo(_) => "application-more-info",
            Self::ApplicationApproved(_) => "application-approved",
            Self::ApplicationRejected(_) => "application-rejected",
            Self::MerchantApplicationApproved(_) => "merchant-application-approved",
            Self::MerchantApplicationMoreInfo(_) => "merchant-application-more-info",
            Self::MerchantApplicationRejected(_) => "merchant-application-rejected",
        }
    }
}

/// `application-verify`, `application-more-info`, `application-approved` and
/// `application-rejected`: what an applicant hears of their organization's application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationNotice {
    /// The application.
    pub application_id: i64,
    /// The organization's name as applied.
    pub name: String,
    /// What the office wrote: what more it needs, or why it rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The first staff account approval made, whose password the link sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<i64>,
    /// The subdistrict whose office decided (Chinese, English), for the applicant to know
    /// whom to contact; none in notices written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<(String, String)>,
}

impl ApplicationNotice {
    /// The deciding office's subdistrict, in the email's language; empty when not kept.
    pub fn office_name(&self, zh: bool) -> &str {
        match &self.office {
            Some((name, _)) if zh => name,
            Some((_, name_en)) => name_en,
            None => "",
        }
    }
}

/// An event as a volunteer's email shows it: public facts only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFacts {
    /// The event.
    pub event_id: i64,
    /// The volunteer the email is for (whose links it carries).
    pub volunteer_id: i64,
    /// The event's title.
    pub title: String,
    /// Its kind, stored as text (`market`); not `kind`, which is the row's tag.
    pub event_kind: String,
    /// When, in local time (`2026-12-20 09:30–12:00`).
    pub when: String,
    /// The public place, in Chinese.
    pub place: String,
    /// The public place, in English (empty in mails queued before it was kept: then `place`).
    #[serde(default)]
    pub place_en: String,
    /// The organization that runs it.
    pub organizer: String,
}

/// A role of an event and its free slots, as the invitation lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRoleLine {
    /// The role.
    pub role_id: i64,
    /// What the volunteer does.
    pub name: String,
    /// Slots.
    pub slots: i64,
    /// Slots still free when the email was queued.
    pub free: i64,
}

/// `resident-event-invite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInvite {
    /// The event.
    #[serde(flatten)]
    pub event: EventFacts,
    /// Its roles.
    pub roles: Vec<EventRoleLine>,
}

/// `resident-event-signed-up`, `-promoted`, `-reminder`, `-cancelled`, `-signup-cancelled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSignupNotice {
    /// The event.
    #[serde(flatten)]
    pub event: EventFacts,
    /// The role signed up for.
    pub role: String,
    /// True when the sign-up waits on the list.
    #[serde(default)]
    pub waitlisted: bool,
    /// Place on the waitlist (1 is next), when waitlisted.
    #[serde(default)]
    pub position: i64,
    /// Why the organizer cancelled the event (`-cancelled` only; rows queued before it was asked have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `resident-need-registered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedRegistered {
    /// The need.
    #[serde(default)]
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// How much is asked for.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
}

/// `resident-need-claimed` and `worker-need-claimed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedClaimed {
    /// The claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<i64>,
    /// The need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// The claiming merchant's public name.
    pub merchant_name: String,
    /// How much was claimed.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
    /// When the delivery is expected, `YYYY-MM-DD`.
    pub expected_date: String,
    /// The need's category; rows written before it was added read as goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// `resident-need-sponsored`: the period named in both languages, as the need's page and
/// the bot name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedSponsored {
    /// The need (this period's occurrence).
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// The sponsor's public name.
    pub merchant_name: String,
    /// How much the sponsor gives this period.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
    /// The period, in Chinese ("2027年1月").
    pub period_zh: String,
    /// The period, in English ("January 2027").
    pub period_en: String,
    /// When the delivery is expected, `YYYY-MM-DD`.
    pub expected_date: String,
}

impl NeedSponsored {
    /// The period in the reader's language.
    pub fn period(&self, zh: bool) -> &str {
        if zh { &self.period_zh } else { &self.period_en }
    }
}

/// `merchant-sponsor-renewal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SponsorOffer {
    /// The sponsorship.
    pub sponsorship_id: i64,
    /// The new period's need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// How much renewing claims.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
    /// The period, in Chinese.
    pub period_zh: String,
    /// The period, in English.
    pub period_en: String,
    /// When the offer closes, local time `YYYY-MM-DD HH:MM`.
    pub until: String,
}

/// `merchant-sponsorship-ended`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SponsorshipEnded {
    /// The sponsorship.
    pub sponsorship_id: i64,
    /// The need's public title.
    pub title: String,
    /// Why it ended (`SponsorshipEnd`'s code).
    pub reason: String,
}

/// `resident-need-delivered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedDelivered {
    /// The claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<i64>,
    /// The need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// The merchant's public name.
    pub merchant_name: String,
    /// How much was delivered.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
    /// The need's category; rows written before it was added read as goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// `worker-delivery-to-confirm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryToConfirm {
    /// The claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<i64>,
    /// The need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// The merchant's public name.
    pub merchant_name: String,
    /// How much was delivered.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
    /// The need's category; rows written before it was added read as goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The merchant's note to the worker.
    #[serde(default)]
    pub note: Option<String>,
    /// The dispute this delivery answers.
    #[serde(default)]
    pub reason: Option<String>,
    /// Delivered again after a dispute.
    #[serde(default)]
    pub redelivery: bool,
}

/// `resident-need-cancelled` and `resident-need-expired`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedEnded {
    /// The need.
    #[serde(default)]
    pub need_id: i64,
    /// Its public title.
    pub title: String,
}

/// `resident-hours-confirmed`: hours in tenths, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoursConfirmed {
    /// What the volunteer did (for an event: its title).
    pub activity: String,
    /// For an event's hours, its kind as stored (`market`), named in the mail's language
    /// before the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_kind: Option<String>,
    /// The confirmed hours, in tenths.
    pub tenths: i64,
    /// The day served, `YYYY-MM-DD`.
    pub served_on: String,
    /// The volunteer's confirmed total, in tenths.
    pub balance_tenths: i64,
    /// The volunteer, whose certificate link the email carries (signed when it is sent,
    /// so no usable link rests in the outbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer_id: Option<i64>,
    /// The signed link to the volunteer's certificate of the year so far
    /// (`services::certificates::volunteer_link`, under `RELAY_PUBLIC_URL`): filled in by the
    /// email sender, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_url: Option<String>,
}

/// `digest`: the held rows it carries, each as it was stored (an item that no longer
/// reads still counts as an update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    /// The held notifications.
    pub items: Vec<DigestItem>,
}

/// One notification inside a digest, as stored in the digest row's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The held row's kind.
    pub kind: String,
    /// The held row's payload.
    pub payload: serde_json::Value,
}

impl DigestItem {
    /// The held notification, if it still reads.
    pub fn notification(&self) -> Result<Notification, DecodeError> {
        Notification::from_parts(&self.kind, self.payload.clone())
    }
}

/// `worker-claim-released`, and the claim inside `worker-claim-lapsed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimFacts {
    /// The claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<i64>,
    /// The need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// How much was claimed.
    pub quantity: i64,
    /// In what unit.
    pub unit: String,
    /// The need's category, where the writer gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// `worker-claim-lapsed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimLapsed {
    /// The merchant's public name.
    pub merchant_name: String,
    /// The claim that lapsed.
    pub claim: ClaimFacts,
}

/// `worker-need-near-deadline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearDeadline {
    /// The need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// How much is still unclaimed.
    pub left: i64,
    /// In what unit.
    pub unit: String,
    /// The need's deadline, `YYYY-MM-DD`.
    pub deadline: String,
}

/// `worker-duplicate-coordinate`: codes and an organization's name, no private values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coordinate {
    /// The worker's own beneficiary.
    pub beneficiary_id: i64,
    /// Its code.
    pub own_code: String,
    /// The other organization's beneficiary's code.
    pub other_code: String,
    /// The other organization's name.
    pub other_organization: String,
}

/// `worker-referral-*`: what the receiving organization may know before it accepts (the
/// case's code, group and community, the service sought and the sender's public reason),
/// never a private detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralNotice {
    /// The referral.
    pub referral_id: i64,
    /// The case's pseudonymous code.
    pub code: String,
    /// The person's group.
    pub group: crate::domain::BeneficiaryGroup,
    /// The community's name (Chinese, English).
    pub community: (String, String),
    /// The service sought.
    pub area: crate::domain::ServiceArea,
    /// The organization on the other side of the referral.
    pub other_organization: String,
    /// The sender's reason (public text).
    pub reason: String,
    /// When an answer is due, local `YYYY-MM-DD`.
    pub due: String,
    /// Why it was declined, for `worker-referral-declined`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined: Option<crate::domain::referral::DeclineReason>,
}

impl ReferralNotice {
    /// The group's label.
    pub fn group_label(&self, zh: bool) -> &'static str {
        self.group.label(locale(zh))
    }

    /// The service's label.
    pub fn area_label(&self, zh: bool) -> &'static str {
        self.area.label(locale(zh))
    }

    /// The community's name.
    pub fn community_name(&self, zh: bool) -> &str {
        if zh { &self.community.0 } else { &self.community.1 }
    }

    /// The decline reason's label, or nothing.
    pub fn declined_label(&self, zh: bool) -> &'static str {
        self.declined.map_or("", |d| d.label(locale(zh)))
    }
}

fn locale(zh: bool) -> crate::domain::Locale {
    if zh {
        crate::domain::Locale::ZhCn
    } else {
        crate::domain::Locale::En
    }
}

/// The facts of a merchant's notice about one of its claims (every `merchant-claim-*` and
/// `merchant-need-cancelled`/`-expired`). Each kind's writer fills what it tells; rows
/// queued before a field existed read without it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimNotice {
    /// The claim.
    pub claim_id: i64,
    /// The need.
    pub need_id: i64,
    /// Its public title.
    pub title: String,
    /// How much was claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// In what unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// When the claim is due, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// The code the merchant shows at the handoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_code: Option<String>,
    /// Where to deliver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_off: Option<DropOff>,
    /// The worker's rating of the delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    /// A dispute's or a cancellation's reason. Rows queued before cancels had reasons
    /// carry the need's status code here instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Which reminder: `day_before`, or none for the half-time one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// How the need ended (`cancelled`, `expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// The need's category code; rows queued before it was written have none and read as
    /// goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// A drop-off point's public facts: the same view the need cards show.
pub use crate::services::need_cards::DropOff;

/// `merchant-need-alert`: the card is rendered when sent, from the need as it is then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedAlert {
    /// The need.
    pub need_id: i64,
    /// Its public title when queued (an instant alert's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The card's number under a daily digest's heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_number: Option<u64>,
    /// The organization whose social worker asked this shop (a directed request): the card
    /// names it and offers "can't help this time".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_by: Option<String>,
}

/// `merchant-need-digest`: a daily digest's heading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedDigest {
    /// The needs it counts.
    pub need_ids: Vec<i64>,
    /// The day it is for, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The cards follow as messages of their own; rows queued before that list the needs
    /// in the heading.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cards_follow: bool,
}

/// Leaves a legacy row's absent flag absent when written again.
fn is_false(b: &bool) -> bool {
    !b
}

/// `bot-reply`: one dialogue reply to a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotReply {
    /// The chat to answer.
    pub chat_id: i64,
    /// The text.
    pub text: String,
    /// Rows of buttons: label and callback data.
    pub buttons: Vec<Vec<(String, String)>>,
    /// A certificate whose PDF goes with this reply as a document (`/certificate`); drawn
    /// when sent, so the outbox holds the number, not the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// `merchant-application-*`: the office's decision on a shop's application, to the chat
/// that applied (no merchant may exist yet, so the chat is named).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationOutcome {
    /// The chat that applied.
    pub chat_id: i64,
    /// The shop's name, as it applied.
    pub shop_name: String,
    /// The office's message (more info) or reason (rejection); empty on approval.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (kind, payload) as today's writers in `services/` store them, one or more a kind,
    /// with the legacy shapes older versions left behind.
    const STORED: &[(&str, &str)] = &[
        ("contact-consent", r#"{}"#),
        (
            "resident-need-registered",
            r#"{"need_id":42,"quantity":5,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "resident-need-claimed",
            r#"{"category":"food","claim_id":7,"expected_date":"2026-12-08","merchant_name":"海景粮油店","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        // Written before the category was.
        (
            "resident-need-claimed",
            r#"{"claim_id":7,"expected_date":"2026-12-08","merchant_name":"海景粮油店","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "worker-need-claimed",
            r#"{"category":"volunteer_hours","claim_id":7,"expected_date":"2026-12-08","merchant_name":"义工队","need_id":42,"quantity":2,"title":"陪诊","unit":"小时"}"#,
        ),
        (
            "resident-need-delivered",
            r#"{"category":"food","claim_id":7,"merchant_name":"海景粮油店","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        ("resident-need-cancelled", r#"{"need_id":42,"title":"米和食用油"}"#),
        ("resident-need-expired", r#"{"need_id":42,"title":"米和食用油"}"#),
        (
            "resident-hours-confirmed",
            r#"{"activity":"社区敬老探访","balance_tenths":130,"served_on":"2026-11-28","tenths":25}"#,
        ),
        (
            "digest",
            r#"{"items":[{"kind":"resident-need-claimed","payload":{"category":"food","claim_id":7,"expected_date":"2026-12-08","merchant_name":"海景粮油店","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}},{"kind":"resident-need-cancelled","payload":{"need_id":42,"title":"米和食用油"}}]}"#,
        ),
        (
            "worker-delivery-to-confirm",
            r#"{"category":"food","claim_id":7,"merchant_name":"海景粮油店","need_id":42,"note":null,"quantity":2,"reason":null,"redelivery":false,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "worker-delivery-to-confirm",
            r#"{"category":"food","claim_id":7,"merchant_name":"海景粮油店","need_id":42,"note":"放在前台","quantity":2,"reason":"少了一袋","redelivery":true,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "worker-claim-released",
            r#"{"claim_id":7,"need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "worker-claim-lapsed",
            r#"{"claim":{"category":"food","claim_id":7,"need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"},"merchant_name":"海景粮油店"}"#,
        ),
        (
            "worker-need-near-deadline",
            r#"{"deadline":"2026-12-01","left":3,"need_id":42,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "worker-duplicate-coordinate",
            r#"{"beneficiary_id":3,"other_code":"B-Q9WD","other_organization":"盐田区妇女互助会","own_code":"B-7F3K"}"#,
        ),
        (
            "merchant-claim-confirmed",
            r#"{"category":"food","claim_id":7,"drop_off":{"address":"东和路8号","name":"服务点","opening_hours":"9:00–18:00"},"due_date":"2026-12-31","handoff_code":"ACDEFG","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-confirmed",
            r#"{"category":"food","claim_id":7,"drop_off":null,"due_date":"2026-12-31","handoff_code":"ACDEFG","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-thanks",
            r#"{"category":"food","claim_id":7,"need_id":42,"quantity":2,"rating":5,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-thanks",
            r#"{"category":"food","claim_id":7,"need_id":42,"quantity":2,"rating":null,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-disputed",
            r#"{"category":"food","claim_id":7,"need_id":42,"reason":"没有来","title":"米和食用油"}"#,
        ),
        (
            "merchant-claim-redeliver",
            r#"{"category":"food","claim_id":7,"due_date":"2026-12-20","need_id":42,"quantity":2,"reason":"没有来","title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-released-by-worker",
            r#"{"category":"food","claim_id":7,"due_date":null,"need_id":42,"quantity":2,"reason":"没有来","title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-lapsed",
            r#"{"category":"food","claim_id":7,"need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-reminder",
            r#"{"category":"food","claim_id":7,"due_date":"2026-12-31","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-claim-reminder",
            r#"{"category":"food","claim_id":7,"due_date":"2026-12-31","need_id":42,"quantity":2,"stage":"day_before","title":"米和食用油","unit":"袋"}"#,
        ),
        // Written before the category was.
        (
            "merchant-claim-reminder",
            r#"{"claim_id":7,"due_date":"2026-12-31","need_id":42,"quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-need-cancelled",
            r#"{"category":"food","claim_id":7,"ended":"cancelled","need_id":42,"reason":"已由家属购买","title":"米和食用油"}"#,
        ),
        // Written before cancels had reasons: the status code stands in the reason.
        (
            "merchant-need-cancelled",
            r#"{"claim_id":7,"need_id":42,"reason":"cancelled","title":"米和食用油"}"#,
        ),
        (
            "merchant-need-expired",
            r#"{"category":"food","claim_id":7,"ended":"expired","need_id":42,"reason":"","title":"米和食用油"}"#,
        ),
        (
            "resident-need-sponsored",
            r#"{"expected_date":"2027-01-31","merchant_name":"海景粮油店","need_id":43,"period_en":"January 2027","period_zh":"2027年1月","quantity":2,"title":"米和食用油","unit":"袋"}"#,
        ),
        (
            "merchant-sponsor-renewal",
            r#"{"need_id":43,"period_en":"January 2027","period_zh":"2027年1月","quantity":2,"sponsorship_id":5,"title":"米和食用油","unit":"袋","until":"2027-01-31 08:00"}"#,
        ),
        (
            "merchant-sponsorship-ended",
            r#"{"reason":"worker_ended","sponsorship_id":5,"title":"米和食用油"}"#,
        ),
        ("merchant-need-alert", r#"{"need_id":42,"title":"米和食用油"}"#),
        ("merchant-need-alert", r#"{"digest_number":2,"need_id":42}"#),
        (
            "merchant-need-digest",
            r#"{"cards_follow":true,"date":"2026-12-01","need_ids":[42,43]}"#,
        ),
        // Written before the cards were messages of their own: listed in the heading.
        ("merchant-need-digest", r#"{"date":"2026-12-01","need_ids":[42,43]}"#),
        (
            "application-verify",
            r#"{"application_id":4,"name":"海山长者关爱协会"}"#,
        ),
        (
            "application-more-info",
            r#"{"application_id":4,"message":"请补充登记证书照片","name":"海山长者关爱协会"}"#,
        ),
        (
            "application-approved",
            r#"{"application_id":4,"name":"海山长者关爱协会","staff_id":9}"#,
        ),
        (
            "application-rejected",
            r#"{"application_id":4,"message":"不在本街道服务","name":"海山长者关爱协会"}"#,
        ),
        (
            "application-rejected",
            r#"{"application_id":4,"message":"不在本街道服务","name":"海山长者关爱协会","office":["海山街道","Haishan"]}"#,
        ),
        (
            "bot-reply",
            r#"{"buttons":[[["认领全部","c:42"],["认领部分","p:42"]]],"chat_id":3200,"text":"你好"}"#,
        ),
        (
            "merchant-application-approved",
            r#"{"chat_id":3200,"message":"","shop_name":"海山粮油店"}"#,
        ),
        (
            "merchant-application-more-info",
            r#"{"chat_id":3200,"message":"请补充营业执照照片","shop_name":"海山粮油店"}"#,
        ),
        (
            "merchant-application-rejected",
            r#"{"chat_id":3200,"message":"不在本街道辖区","shop_name":"海山粮油店"}"#,
        ),
    ];

    #[test]
    fn every_row_written_by_the_string_typed_code_reads_back_as_its_kind() {
        let mut kinds = std::collections::BTreeSet::new();
        for (kind, payload) in STORED {
            let n = Notification::from_row(kind, payload).unwrap_or_else(|e| panic!("{kind} {payload}: {e}"));
            assert_eq!(n.kind(), *kind);
            kinds.insert(*kind);
            // Written again, it reads as the same message.
            let again = Notification::from_parts(n.kind(), n.payload()).expect("round trip");
            assert_eq!(again, n, "{kind}");
        }
        assert_eq!(kinds.len(), 36, "every kind has a stored example");
    }

    #[test]
    fn a_row_as_todays_writers_store_it_is_written_the_same_way() {
        for (kind, payload) in STORED {
            let n = Notification::from_row(kind, payload).expect("reads");
            let stored: serde_json::Value = serde_json::from_str(payload).expect("json");
            assert_eq!(n.payload(), stored, "{kind}");
            assert_eq!(n.payload().to_string(), *payload, "{kind}: the same bytes");
        }
    }

    #[test]
    fn legacy_shapes_read_with_their_defaults() {
        let digest =
            Notification::from_row("merchant-need-digest", r#"{"date":"2026-12-01","need_ids":[1]}"#).expect("reads");
        assert!(matches!(
            digest,
            Notification::MerchantNeedDigest(NeedDigest {
                cards_follow: false,
                ..
            })
        ));
        let old = Notification::from_row(
            "merchant-claim-reminder",
            r#"{"claim_id":7,"need_id":42,"title":"t","quantity":2,"unit":"袋"}"#,
        )
        .expect("reads");
        assert!(matches!(
            old,
            Notification::MerchantClaimReminder(ClaimNotice { category: None, .. })
        ));
    }

    #[test]
    fn unknown_or_garbled_rows_are_errors_that_say_why() {
        let unknown = Notification::from_row("merchant-claim-unknown", r#"{"claim_id":1}"#).expect_err("unknown");
        assert!(unknown.to_string().contains("merchant-claim-unknown"), "{unknown}");
        let garbled = Notification::from_row("resident-need-claimed", "not json").expect_err("garbled");
        assert!(garbled.to_string().contains("resident-need-claimed"), "{garbled}");
        let missing = Notification::from_row("resident-need-claimed", r#"{"title":"rice"}"#).expect_err("missing");
        assert!(missing.to_string().contains("missing field"), "{missing}");
        assert!(Notification::from_row("digest", "[]").is_err());
    }

    #[test]
    fn the_stored_kind_is_the_serde_tag() {
        for (kind, payload) in STORED {
            let n = Notification::from_row(kind, payload).expect("reads");
            let tagged = serde_json::to_value(&n).expect("json");
            assert_eq!(tagged["kind"], *kind);
        }
        assert_eq!(Notification::ContactConsent.kind(), Notification::CONSENT);
        assert_eq!(
            Notification::Digest(Digest { items: vec![] }).kind(),
            Notification::DIGEST
        );
    }
}
