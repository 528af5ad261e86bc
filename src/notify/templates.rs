//! The texts of every email: a subject, a plain-text part and an HTML part, in zh-CN or en.
//!
//! Each kind has `templates/email/<kind>.txt` and `.html`, both extending a base layout
//! that carries the greeting, a header naming the service and the organization (the
//! resident's, or the one a social worker works for), and a footer saying why the recipient
//! gets the message (with the unsubscribe link for residents). The HTML part is styled by `static/mail.css` (the same sheet the consent and
//! unsubscribe pages use), inlined into `style` attributes because mail clients drop
//! `<style>` blocks; links are buttons, never raw URLs that overflow a phone. The
//! payload of an outbox row is parsed into the kind's typed struct first, so a row written
//! with missing fields fails loudly instead of mailing a half-empty text.
//!
//! Payloads hold only public facts (need title, quantities, a merchant's public name,
//! dates); no template adds anyone's name, phone or address.

use askama::Template;

use crate::domain::Locale;
use crate::domain::application::{EDIT_VALIDITY, VERIFY_VALIDITY, WELCOME_VALIDITY};
use crate::services::outbox::{
    ApplicationNotice, ClaimFacts, ClaimLapsed, Coordinate, DecodeError, DeliveryToConfirm, EventFacts, EventInvite,
    EventSignupNotice, HoursConfirmed, NearDeadline, NeedClaimed, NeedDelivered, NeedEnded, NeedRegistered,
    NeedSponsored, Notification, ReferralNotice,
};

/// Every kind that has a template (the consent email's kind is
/// [`crate::services::contacts::CONSENT_KIND`]).
pub const KINDS: &[&str] = &[
    Notification::CONSENT,
    "resident-need-registered",
    "resident-need-claimed",
    "resident-need-sponsored",
    "resident-event-invite",
    "resident-event-signed-up",
    "resident-event-promoted",
    "resident-event-reminder",
    "resident-event-cancelled",
    "resident-event-signup-cancelled",
    "resident-need-delivered",
    "resident-need-cancelled",
    "resident-need-expired",
    "resident-hours-confirmed",
    Notification::DIGEST,
    "worker-need-claimed",
    "worker-delivery-to-confirm",
    "worker-claim-released",
    "worker-claim-lapsed",
    "worker-need-near-deadline",
    "worker-duplicate-coordinate",
    "worker-referral-received",
    "worker-referral-reminder",
    "worker-referral-accepted",
    "worker-referral-declined",
    "application-verify",
    "application-more-info",
    "application-approved",
    "application-rejected",
];

/// The links a message may carry.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// `RELAY_PUBLIC_URL`, without a trailing slash.
    pub public_url: String,
    /// The recipient's one-click unsubscribe URL (residents only).
    pub unsubscribe_url: Option<String>,
    /// The one-time link a message carries: the consent email's confirmation, or an
    /// applicant's verification, edit or set-password link.
    pub confirm_url: Option<String>,
    /// The organization the consent is for (residents' mail), or the one a social worker
    /// works for (workers' mail).
    pub organization: Option<String>,
    /// An event invitation's sign-up link per role id (signed when the mail is sent).
    pub signup_urls: Vec<(i64, String)>,
    /// A sign-up's cancel link (signed when the mail is sent).
    pub cancel_url: Option<String>,
}

/// Where the one-time link of `notification` leads, before its token: each link is for one
/// purpose and one page.
pub fn link_prefix(notification: &Notification) -> &'static str {
    match notification {
        Notification::ApplicationVerify(_) => "/apply/verify?token=",
        Notification::ApplicationMoreInfo(_) => "/apply/edit?token=",
        Notification::ApplicationApproved(_) => "/welcome?token=",
        _ => "/consent/",
    }
}

/// A message ready to be put into MIME parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// A message cannot be rendered; retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No template for this kind.
    #[error("no email template for kind `{0}`")]
    UnknownKind(String),
    /// The row's payload lacks a field the template needs.
    #[error("payload of `{kind}` does not fit its template: {source}")]
    Payload {
        /// The kind.
        kind: String,
        /// What serde found.
        source: serde_json::Error,
    },
    /// A message that carries a one-time link was asked for without it.
    #[error("this email needs its one-time link")]
    MissingConfirmLink,
    /// The template engine failed.
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    /// The stylesheet could not be inlined.
    #[error("cannot inline the email's CSS: {0}")]
    Inline(String),
}

/// The residents' stylesheet, shared with the consent and unsubscribe pages.
pub const MAIL_CSS: &str = include_str!("../../static/mail.css");

/// The category value of volunteer-hour needs: their claims are served, not delivered.
const VOLUNTEER_HOURS: &str = "volunteer_hours";

/// What the base layouts need.
struct Frame {
    zh: bool,
    lang: &'static str,
    subject: String,
    public_url: String,
    unsubscribe_url: Option<String>,
    /// The organization named in the header.
    organization: Option<String>,
    /// The footer's "you get this email because …".
    why: String,
    /// An event invitation's sign-up links, by role id.
    signup_urls: Vec<(i64, String)>,
    /// A sign-up's cancel link.
    cancel_url: Option<String>,
}

impl Frame {
    /// The sign-up link of role `role_id` (empty when the mail was made without it).
    fn signup_url(&self, role_id: &i64) -> &str {
        self.signup_urls
            .iter()
            .find(|(id, _)| id == role_id)
            .map_or("", |(_, url)| url.as_str())
    }
}

/// True for a need of volunteer hours: its claims are served, not delivered.
fn hours(category: Option<&str>) -> bool {
    category == Some(VOLUNTEER_HOURS)
}

impl NeedClaimed {
    fn is_hours(&self) -> bool {
        hours(self.category.as_deref())
    }
}

impl NeedDelivered {
    fn is_hours(&self) -> bool {
        hours(self.category.as_deref())
    }
}

impl DeliveryToConfirm {
    fn is_hours(&self) -> bool {
        hours(self.category.as_deref())
    }

    /// "重新" for a delivery after a dispute, else nothing.
    fn again_zh(&self) -> &'static str {
        if self.redelivery { "重新" } else { "" }
    }

    /// " again" for a delivery after a dispute, else nothing.
    fn again_en(&self) -> &'static str {
        if self.redelivery { " again" } else { "" }
    }

    /// The dispute's reason a redelivery answers, when there was one.
    fn answers(&self) -> Option<&str> {
        self.reason
            .as_deref()
            .filter(|r| self.redelivery && !r.trim().is_empty())
    }

    /// The merchant's note, when it wrote one.
    fn merchant_note(&self) -> Option<&str> {
        self.note.as_deref().filter(|n| !n.trim().is_empty())
    }
}

impl ClaimFacts {
    fn is_hours(&self) -> bool {
        hours(self.category.as_deref())
    }
}

impl EventFacts {
    /// The place for an English mail: its English name, or the Chinese one in a mail queued
    /// before both were kept.
    fn english_place(&self) -> &str {
        if self.place_en.is_empty() {
            &self.place
        } else {
            &self.place_en
        }
    }

    /// The event's kind as people call it.
    fn kind_label(&self, zh: &bool) -> &'static str {
        let locale = if *zh { Locale::ZhCn } else { Locale::En };
        self.event_kind
            .parse::<crate::domain::event::EventKind>()
            .map_or("", |k| k.label(locale))
    }
}

impl HoursConfirmed {
    /// What the volunteer did, in the mail's language: an event's kind, then its title.
    fn activity_in(&self, zh: bool) -> String {
        let locale = if zh { Locale::ZhCn } else { Locale::En };
        match self
            .event_kind
            .as_deref()
            .and_then(|k| k.parse::<crate::domain::event::EventKind>().ok())
        {
            Some(kind) if zh => format!("{}：{}", kind.label(locale), self.activity),
            Some(kind) => format!("{}: {}", kind.label(locale), self.activity),
            None => self.activity.clone(),
        }
    }

    fn hours(&self) -> String {
        tenths(self.tenths)
    }

    fn balance(&self) -> String {
        tenths(self.balance_tenths)
    }
}

fn tenths(t: i64) -> String {
    format!("{}.{}", t / 10, (t % 10).abs())
}

/// `contact-consent`.
struct Consent {
    confirm_url: String,
    days: i64,
    /// The organization asking; empty for an old contact no beneficiary used.
    organization: String,
}

/// The application emails: the notice and its one-time link (none for a rejection).
struct Applicant<'a> {
    n: &'a ApplicationNotice,
    url: String,
    /// How long the link works, in days (verification: hours).
    days: i64,
    hours: i64,
}

/// `digest`: one line a held notification.
struct DigestLines {
    lines: Vec<String>,
}

/// Declares the text and HTML template of a kind; `$text`/`$html` are the file paths.
macro_rules! email_templates {
    ($($t:ident, $h:ident, $p:ty, $text:tt, $html:tt;)*) => {$(
        #[derive(Template)]
        #[template(path = $text)]
        struct $t<'a> {
            f: &'a Frame,
            p: &'a $p,
        }

        #[derive(Template)]
        #[template(path = $html)]
        struct $h<'a> {
            f: &'a Frame,
            p: &'a $p,
        }
    )*};
}

email_templates! {
    ConsentText, ConsentHtml, Consent, "email/contact-consent.txt", "email/contact-consent.html";
    RegisteredText, RegisteredHtml, NeedRegistered, "email/resident-need-registered.txt", "email/resident-need-registered.html";
    ClaimedText, ClaimedHtml, NeedClaimed, "email/resident-need-claimed.txt", "email/resident-need-claimed.html";
    SponsoredText, SponsoredHtml, NeedSponsored, "email/resident-need-sponsored.txt", "email/resident-need-sponsored.html";
    DeliveredText, DeliveredHtml, NeedDelivered, "email/resident-need-delivered.txt", "email/resident-need-delivered.html";
    CancelledText, CancelledHtml, NeedEnded, "email/resident-need-cancelled.txt", "email/resident-need-cancelled.html";
    ExpiredText, ExpiredHtml, NeedEnded, "email/resident-need-expired.txt", "email/resident-need-expired.html";
    HoursText, HoursHtml, HoursConfirmed, "email/resident-hours-confirmed.txt", "email/resident-hours-confirmed.html";
    InviteText, InviteHtml, EventInvite, "email/resident-event-invite.txt", "email/resident-event-invite.html";
    SignedUpText, SignedUpHtml, EventSignupNotice, "email/resident-event-signed-up.txt", "email/resident-event-signed-up.html";
    PromotedText, PromotedHtml, EventSignupNotice, "email/resident-event-promoted.txt", "email/resident-event-promoted.html";
    ReminderText, ReminderHtml, EventSignupNotice, "email/resident-event-reminder.txt", "email/resident-event-reminder.html";
    EventCancelledText, EventCancelledHtml, EventSignupNotice, "email/resident-event-cancelled.txt", "email/resident-event-cancelled.html";
    SignupCancelledText, SignupCancelledHtml, EventSignupNotice, "email/resident-event-signup-cancelled.txt", "email/resident-event-signup-cancelled.html";
    DigestText, DigestHtml, DigestLines, "email/digest.txt", "email/digest.html";
    WorkerClaimedText, WorkerClaimedHtml, NeedClaimed, "email/worker-need-claimed.txt", "email/worker-need-claimed.html";
    ToConfirmText, ToConfirmHtml, DeliveryToConfirm, "email/worker-delivery-to-confirm.txt", "email/worker-delivery-to-confirm.html";
    ReleasedText, ReleasedHtml, ClaimFacts, "email/worker-claim-released.txt", "email/worker-claim-released.html";
    LapsedText, LapsedHtml, ClaimLapsed, "email/worker-claim-lapsed.txt", "email/worker-claim-lapsed.html";
    NearDeadlineText, NearDeadlineHtml, NearDeadline, "email/worker-need-near-deadline.txt", "email/worker-need-near-deadline.html";
    CoordinateText, CoordinateHtml, Coordinate, "email/worker-duplicate-coordinate.txt", "email/worker-duplicate-coordinate.html";
    ReferralReceivedText, ReferralReceivedHtml, ReferralNotice, "email/worker-referral-received.txt", "email/worker-referral-received.html";
    ReferralReminderText, ReferralReminderHtml, ReferralNotice, "email/worker-referral-reminder.txt", "email/worker-referral-reminder.html";
    ReferralAcceptedText, ReferralAcceptedHtml, ReferralNotice, "email/worker-referral-accepted.txt", "email/worker-referral-accepted.html";
    ReferralDeclinedText, ReferralDeclinedHtml, ReferralNotice, "email/worker-referral-declined.txt", "email/worker-referral-declined.html";
    VerifyText, VerifyHtml, Applicant<'a>, "email/application-verify.txt", "email/application-verify.html";
    MoreInfoText, MoreInfoHtml, Applicant<'a>, "email/application-more-info.txt", "email/application-more-info.html";
    ApprovedText, ApprovedHtml, Applicant<'a>, "email/application-approved.txt", "email/application-approved.html";
    RejectedText, RejectedHtml, Applicant<'a>, "email/application-rejected.txt", "email/application-rejected.html";
}

/// The subject line of `notification` in the chosen language.
pub fn subject(notification: &Notification, locale: Locale) -> Result<String, RenderError> {
    let zh = locale == Locale::ZhCn;
    let pick = |zh_text: String, en_text: String| if zh { zh_text } else { en_text };
    Ok(match notification {
        Notification::ContactConsent => pick(
            "请确认：接收爱心接力的需求进展邮件".into(),
            "Please confirm: news of your needs from Charity Relay".into(),
        ),
        Notification::ResidentNeedRegistered(NeedRegistered { title: t, .. }) => {
            pick(format!("您的需求已登记：{t}"), format!("Your need is registered: {t}"))
        }
        Notification::ResidentNeedClaimed(NeedClaimed { title: t, .. }) => pick(
            format!("好消息，您的需求已被认领：{t}"),
            format!("Good news, your need was claimed: {t}"),
        ),
        Notification::ResidentNeedSponsored(p) => pick(
            format!("{}的「{}」有爱心商户一对一资助", p.period_zh, p.title),
            format!("Your “{}” for {} is sponsored", p.title, p.period_en),
        ),
        Notification::ResidentNeedDelivered(p) if p.is_hours() => {
            let t = &p.title;
            pick(
                format!("已完成服务并确认：{t}"),
                format!("Service done and confirmed: {t}"),
            )
        }
        Notification::ResidentNeedDelivered(NeedDelivered { title: t, .. }) => {
            pick(format!("已送达并确认：{t}"), format!("Delivered and confirmed: {t}"))
        }
        Notification::ResidentNeedCancelled(NeedEnded { title: t, .. }) => {
            pick(format!("需求已取消：{t}"), format!("Need cancelled: {t}"))
        }
        Notification::ResidentNeedExpired(NeedEnded { title: t, .. }) => {
            pick(format!("需求已到期：{t}"), format!("Need expired: {t}"))
        }
        Notification::ResidentEventInvite(p) => {
            let t = &p.event.title;
            pick(format!("邀请您做志愿者：{t}"), format!("Volunteer with us: {t}"))
        }
        Notification::ResidentEventSignedUp(p) if p.waitlisted => {
            let t = &p.event.title;
            pick(format!("已进入候补：{t}"), format!("On the waitlist: {t}"))
        }
        Notification::ResidentEventSignedUp(p) => {
            let t = &p.event.title;
            pick(format!("报名成功：{t}"), format!("You are signed up: {t}"))
        }
        Notification::ResidentEventPromoted(p) => {
            let t = &p.event.title;
            pick(
                format!("候补转正，您可以参加了：{t}"),
                format!("A place opened up for you: {t}"),
            )
        }
        Notification::ResidentEventReminder(p) => {
            let t = &p.event.title;
            pick(format!("明天见：{t}"), format!("See you tomorrow: {t}"))
        }
        Notification::ResidentEventCancelled(p) => {
            let t = &p.event.title;
            pick(format!("活动已取消：{t}"), format!("Event cancelled: {t}"))
        }
        Notification::ResidentEventSignupCancelled(p) => {
            let t = &p.event.title;
            pick(
                format!("您的报名已取消：{t}"),
                format!("Your sign-up was cancelled: {t}"),
            )
        }
        Notification::ResidentHoursConfirmed(p) => {
            let h = p.hours();
            pick(
                format!("志愿时数已确认：{h} 小时"),
                format!("Volunteer hours confirmed: {h} h"),
            )
        }
        Notification::Digest(d) => {
            let n = d.items.len();
            pick(format!("您的需求有 {n} 条新消息"), format!("{n} updates on your needs"))
        }
        Notification::WorkerNeedClaimed(NeedClaimed { title: t, .. }) => {
            pick(format!("需求被认领：{t}"), format!("Need claimed: {t}"))
        }
        Notification::WorkerDeliveryToConfirm(p) => {
            let t = &p.title;
            match (p.redelivery, p.is_hours()) {
                (true, true) => pick(
                    format!("异议后重新完成服务，请确认：{t}"),
                    format!("Served again after your dispute, please confirm: {t}"),
                ),
                (true, false) => pick(
                    format!("异议后重新送达，请确认：{t}"),
                    format!("Redelivered after your dispute, please confirm: {t}"),
                ),
                (false, true) => pick(
                    format!("请确认已完成服务：{t}"),
                    format!("Please confirm a service was done: {t}"),
                ),
                (false, false) => pick(format!("请确认送达：{t}"), format!("Please confirm a delivery: {t}")),
            }
        }
        Notification::WorkerClaimReleased(ClaimFacts { title: t, .. }) => {
            pick(format!("认领已放弃：{t}"), format!("Claim released: {t}"))
        }
        Notification::WorkerClaimLapsed(ClaimLapsed { claim, .. }) => {
            let t = &claim.title;
            pick(format!("认领逾期失效：{t}"), format!("Claim lapsed: {t}"))
        }
        Notification::WorkerNeedNearDeadline(NearDeadline { title: t, .. }) => pick(
            format!("需求即将截止，仍未认领完：{t}"),
            format!("Deadline near, not fully claimed: {t}"),
        ),
        Notification::WorkerDuplicateCoordinate(Coordinate { own_code: code, .. }) => pick(
            format!("请协调：受助人 {code} 也在另一家机构登记"),
            format!("Please coordinate: beneficiary {code} is also registered by another organization"),
        ),
        Notification::WorkerReferralReceived(ReferralNotice { code, .. }) => pick(
            format!("转介待答复：个案 {code}"),
            format!("A case is referred to you: {code}"),
        ),
        Notification::WorkerReferralReminder(ReferralNotice { code, due, .. }) => pick(
            format!("提醒：个案 {code} 的转介请于 {due} 前答复"),
            format!("Reminder: please answer the referral of case {code} by {due}"),
        ),
        Notification::WorkerReferralAccepted(ReferralNotice { code, .. }) => pick(
            format!("转介已被接收：个案 {code}"),
            format!("Referral accepted: case {code}"),
        ),
        Notification::WorkerReferralDeclined(ReferralNotice { code, .. }) => pick(
            format!("转介被婉拒：个案 {code}"),
            format!("Referral declined: case {code}"),
        ),
        // Anyone may type any name into the public form: the subject carries none of it.
        Notification::ApplicationVerify(_) => pick(
            "请验证邮箱，以提交社会组织准入申请".to_owned(),
            "Please verify your email to send your organization's application".to_owned(),
        ),
        Notification::ApplicationMoreInfo(n) => pick(
            format!("街道办请您补充「{}」的申请材料", n.name),
            format!("The office asks for more about the application of “{}”", n.name),
        ),
        Notification::ApplicationApproved(n) => pick(
            format!("「{}」已获准入：请设置登录密码", n.name),
            format!("“{}” is admitted: please set your password", n.name),
        ),
        Notification::ApplicationRejected(n) => pick(
            format!("「{}」的准入申请未获通过", n.name),
            format!("The application of “{}” was not approved", n.name),
        ),
        Notification::MerchantClaimConfirmed(_)
        | Notification::MerchantClaimThanks(_)
        | Notification::MerchantClaimDisputed(_)
        | Notification::MerchantClaimRedeliver(_)
        | Notification::MerchantClaimReleasedByWorker(_)
        | Notification::MerchantClaimLapsed(_)
        | Notification::MerchantClaimReminder(_)
        | Notification::MerchantNeedCancelled(_)
        | Notification::MerchantNeedExpired(_)
        | Notification::MerchantSponsorRenewal(_)
        | Notification::MerchantSponsorshipEnded(_)
        | Notification::MerchantNeedAlert(_)
        | Notification::MerchantNeedDigest(_)
        | Notification::BotReply(_)
        | Notification::MerchantApplicationApproved(_)
        | Notification::MerchantApplicationMoreInfo(_)
        | Notification::MerchantApplicationRejected(_) => {
            return Err(RenderError::UnknownKind(notification.kind().to_owned()));
        }
    })
}

/// Renders a stored row's `kind` and `payload` for a recipient speaking `locale`.
pub fn render(kind: &str, locale: Locale, payload: &serde_json::Value, links: &Links) -> Result<Rendered, RenderError> {
    render_notification(&read(kind, payload)?, locale, links)
}

/// A stored row as a notification that has an email template.
fn read(kind: &str, payload: &serde_json::Value) -> Result<Notification, RenderError> {
    if !KINDS.contains(&kind) {
        return Err(RenderError::UnknownKind(kind.to_owned()));
    }
    Notification::from_parts(kind, payload.clone()).map_err(|e| match e {
        DecodeError::Unreadable { kind, source } => RenderError::Payload { kind, source },
        DecodeError::NotAnObject { kind } => RenderError::UnknownKind(kind),
    })
}

/// Renders `notification` for a recipient speaking `locale`.
pub fn render_notification(
    notification: &Notification,
    locale: Locale,
    links: &Links,
) -> Result<Rendered, RenderError> {
    let zh = locale == Locale::ZhCn;
    // An applicant's mail is about its own application: no other organization's name in its
    // header, and no unsubscribe link that would stop the mail carrying its password link.
    let application = matches!(
        notification,
        Notification::ApplicationVerify(_)
            | Notification::ApplicationMoreInfo(_)
            | Notification::ApplicationApproved(_)
            | Notification::ApplicationRejected(_)
    );
    let organization = links.organization.clone().filter(|o| !o.is_empty() && !application);
    let f = Frame {
        zh,
        lang: locale.as_str(),
        subject: subject(notification, locale)?,
        public_url: links.public_url.clone(),
        unsubscribe_url: links.unsubscribe_url.clone().filter(|_| !application),
        why: why(notification, zh, organization.as_deref()),
        organization,
        signup_urls: links.signup_urls.clone(),
        cancel_url: links.cancel_url.clone(),
    };
    let f = &f;
    let (text, html) = match notification {
        Notification::ContactConsent => {
            let p = &Consent {
                confirm_url: links.confirm_url.clone().ok_or(RenderError::MissingConfirmLink)?,
                days: crate::services::contacts::CONFIRM_VALIDITY.num_days(),
                organization: links.organization.clone().unwrap_or_default(),
            };
            (ConsentText { f, p }.render()?, ConsentHtml { f, p }.render()?)
        }
        Notification::ResidentNeedRegistered(p) => {
            (RegisteredText { f, p }.render()?, RegisteredHtml { f, p }.render()?)
        }
        Notification::ResidentNeedClaimed(p) => (ClaimedText { f, p }.render()?, ClaimedHtml { f, p }.render()?),
        Notification::ResidentNeedSponsored(p) => (SponsoredText { f, p }.render()?, SponsoredHtml { f, p }.render()?),
        Notification::ResidentNeedDelivered(p) => (DeliveredText { f, p }.render()?, DeliveredHtml { f, p }.render()?),
        Notification::ResidentNeedCancelled(p) => (CancelledText { f, p }.render()?, CancelledHtml { f, p }.render()?),
        Notification::ResidentNeedExpired(p) => (ExpiredText { f, p }.render()?, ExpiredHtml { f, p }.render()?),
        Notification::ResidentHoursConfirmed(p) => (HoursText { f, p }.render()?, HoursHtml { f, p }.render()?),
        Notification::ResidentEventInvite(p) => (InviteText { f, p }.render()?, InviteHtml { f, p }.render()?),
        Notification::ResidentEventSignedUp(p) => (SignedUpText { f, p }.render()?, SignedUpHtml { f, p }.render()?),
        Notification::ResidentEventPromoted(p) => (PromotedText { f, p }.render()?, PromotedHtml { f, p }.render()?),
        Notification::ResidentEventReminder(p) => (ReminderText { f, p }.render()?, ReminderHtml { f, p }.render()?),
        Notification::ResidentEventCancelled(p) => (
            EventCancelledText { f, p }.render()?,
            EventCancelledHtml { f, p }.render()?,
        ),
        Notification::ResidentEventSignupCancelled(p) => (
            SignupCancelledText { f, p }.render()?,
            SignupCancelledHtml { f, p }.render()?,
        ),
        Notification::Digest(digest) => {
            // A held item that no longer renders still shows up as a line, not as a lost mail.
            let lines = digest
                .items
                .iter()
                .map(|i| {
                    i.notification()
                        .ok()
                        .and_then(|n| subject(&n, locale).ok())
                        .unwrap_or_else(|| if zh { "一条更新".into() } else { "An update".into() })
                })
                .collect();
            let p = &DigestLines { lines };
            (DigestText { f, p }.render()?, DigestHtml { f, p }.render()?)
        }
        Notification::WorkerNeedClaimed(p) => (
            WorkerClaimedText { f, p }.render()?,
            WorkerClaimedHtml { f, p }.render()?,
        ),
        Notification::WorkerDeliveryToConfirm(p) => {
            (ToConfirmText { f, p }.render()?, ToConfirmHtml { f, p }.render()?)
        }
        Notification::WorkerClaimReleased(p) => (ReleasedText { f, p }.render()?, ReleasedHtml { f, p }.render()?),
        Notification::WorkerClaimLapsed(p) => (LapsedText { f, p }.render()?, LapsedHtml { f, p }.render()?),
        Notification::WorkerNeedNearDeadline(p) => {
            (NearDeadlineText { f, p }.render()?, NearDeadlineHtml { f, p }.render()?)
        }
        Notification::WorkerDuplicateCoordinate(p) => {
            (CoordinateText { f, p }.render()?, CoordinateHtml { f, p }.render()?)
        }
        Notification::WorkerReferralReceived(p) => (
            ReferralReceivedText { f, p }.render()?,
            ReferralReceivedHtml { f, p }.render()?,
        ),
        Notification::WorkerReferralReminder(p) => (
            ReferralReminderText { f, p }.render()?,
            ReferralReminderHtml { f, p }.render()?,
        ),
        Notification::WorkerReferralAccepted(p) => (
            ReferralAcceptedText { f, p }.render()?,
            ReferralAcceptedHtml { f, p }.render()?,
        ),
        Notification::WorkerReferralDeclined(p) => (
            ReferralDeclinedText { f, p }.render()?,
            ReferralDeclinedHtml { f, p }.render()?,
        ),
        Notification::ApplicationVerify(n)
        | Notification::ApplicationMoreInfo(n)
        | Notification::ApplicationApproved(n)
        | Notification::ApplicationRejected(n) => {
            let url = match notification {
                Notification::ApplicationRejected(_) => String::new(),
                _ => links.confirm_url.clone().ok_or(RenderError::MissingConfirmLink)?,
            };
            let days = match notification {
                Notification::ApplicationApproved(_) => WELCOME_VALIDITY.num_days(),
                _ => EDIT_VALIDITY.num_days(),
            };
            let p = &Applicant {
                n,
                url,
                days,
                hours: VERIFY_VALIDITY.num_hours(),
            };
            match notification {
                Notification::ApplicationVerify(_) => (VerifyText { f, p }.render()?, VerifyHtml { f, p }.render()?),
                Notification::ApplicationMoreInfo(_) => {
                    (MoreInfoText { f, p }.render()?, MoreInfoHtml { f, p }.render()?)
                }
                Notification::ApplicationApproved(_) => {
                    (ApprovedText { f, p }.render()?, ApprovedHtml { f, p }.render()?)
                }
                _ => (RejectedText { f, p }.render()?, RejectedHtml { f, p }.render()?),
            }
        }
        Notification::MerchantClaimConfirmed(_)
        | Notification::MerchantClaimThanks(_)
        | Notification::MerchantClaimDisputed(_)
        | Notification::MerchantClaimRedeliver(_)
        | Notification::MerchantClaimReleasedByWorker(_)
        | Notification::MerchantClaimLapsed(_)
        | Notification::MerchantClaimReminder(_)
        | Notification::MerchantNeedCancelled(_)
        | Notification::MerchantNeedExpired(_)
        | Notification::MerchantSponsorRenewal(_)
        | Notification::MerchantSponsorshipEnded(_)
        | Notification::MerchantNeedAlert(_)
        | Notification::MerchantNeedDigest(_)
        | Notification::BotReply(_)
        | Notification::MerchantApplicationApproved(_)
        | Notification::MerchantApplicationMoreInfo(_)
        | Notification::MerchantApplicationRejected(_) => {
            return Err(RenderError::UnknownKind(notification.kind().to_owned()));
        }
    };
    Ok(Rendered {
        subject: f.subject.clone(),
        text,
        html: inline_css(&html)?,
    })
}

/// The footer line that tells the recipient why this message reached them.
fn why(notification: &Notification, zh: bool, organization: Option<&str>) -> String {
    let org_zh = organization.map_or_else(|| "社工".to_owned(), |o| format!("「{o}」的社工"));
    let org_en = organization.map_or_else(|| "a social worker".to_owned(), |o| format!("a social worker of “{o}”"));
    use Notification as N;
    match notification {
        N::ContactConsent => {
            if zh {
                format!("您收到这封邮件，是因为{org_zh}填写了这个邮箱，请您确认是否接收。")
            } else {
                format!(
                    "You get this email because {org_en} entered this address and asks whether you want these emails."
                )
            }
        }
        N::WorkerDuplicateCoordinate(_)
        | N::WorkerReferralReceived(_)
        | N::WorkerReferralReminder(_)
        | N::WorkerReferralAccepted(_)
        | N::WorkerReferralDeclined(_) => match (organization, zh) {
            (Some(o), true) => format!("您收到这封邮件，是因为您是「{o}」的社工。"),
            (Some(o), false) => format!("You get this email because you work for “{o}” as a social worker."),
            (None, true) => "您收到这封邮件，是因为您是该机构的社工。".to_owned(),
            (None, false) => "You get this email because you are a social worker of that organization.".to_owned(),
        },
        N::WorkerNeedClaimed(_)
        | N::WorkerDeliveryToConfirm(_)
        | N::WorkerClaimReleased(_)
        | N::WorkerClaimLapsed(_)
        | N::WorkerNeedNearDeadline(_) => match (organization, zh) {
            (Some(o), true) => format!("您收到这封邮件，是因为您是「{o}」的社工，这条需求由您发布。"),
            (Some(o), false) => format!("You get this email because you work for “{o}” and posted this need."),
            (None, true) => "您收到这封邮件，是因为这条需求由您发布。".to_owned(),
            (None, false) => "You get this email because you posted this need.".to_owned(),
        },
        N::ApplicationVerify(_) => {
            if zh {
                "您收到这封邮件，是因为有人在爱心接力的准入申请页填写了这个邮箱。如果不是您，请忽略本邮件，申请会自动作废。"
                    .to_owned()
            } else {
                "You get this email because someone entered this address on the application page of Charity Relay. If it was not you, ignore it: the application lapses by itself."
                    .to_owned()
            }
        }
        N::ApplicationMoreInfo(_) | N::ApplicationApproved(_) | N::ApplicationRejected(_) => {
            if zh {
                "您收到这封邮件，是因为您以这个邮箱向街道办申请机构准入。".to_owned()
            } else {
                "You get this email because you applied with this address for your organization's admission.".to_owned()
            }
        }
        N::ResidentEventInvite(_)
        | N::ResidentEventSignedUp(_)
        | N::ResidentEventPromoted(_)
        | N::ResidentEventReminder(_)
        | N::ResidentEventCancelled(_)
        | N::ResidentEventSignupCancelled(_) => {
            let org = organization.unwrap_or(if zh { "社工站" } else { "a social organization" });
            if zh {
                format!("您收到这封邮件，是因为「{org}」把您登记为志愿者，您也确认了接收相关邮件。")
            } else {
                format!(
                    "You get this email because “{org}” registered you as a volunteer and you agreed to these emails."
                )
            }
        }
        N::ResidentHoursConfirmed(_) => {
            if zh {
                format!("您收到这封邮件，是因为{org_zh}为您记录志愿服务时长，您也确认了接收相关邮件。")
            } else {
                format!(
                    "You get this email because {org_en} records your volunteer hours and you agreed to hear about them."
                )
            }
        }
        // A resident's news of their needs; merchants' and the bot's messages are no email.
        N::ResidentNeedRegistered(_)
        | N::ResidentNeedClaimed(_)
        | N::ResidentNeedSponsored(_)
        | N::ResidentNeedDelivered(_)
        | N::ResidentNeedCancelled(_)
        | N::ResidentNeedExpired(_)
        | N::Digest(_)
        | N::MerchantClaimConfirmed(_)
        | N::MerchantClaimThanks(_)
        | N::MerchantClaimDisputed(_)
        | N::MerchantClaimRedeliver(_)
        | N::MerchantClaimReleasedByWorker(_)
        | N::MerchantClaimLapsed(_)
        | N::MerchantClaimReminder(_)
        | N::MerchantNeedCancelled(_)
        | N::MerchantNeedExpired(_)
        | N::MerchantSponsorRenewal(_)
        | N::MerchantSponsorshipEnded(_)
        | N::MerchantNeedAlert(_)
        | N::MerchantNeedDigest(_)
        | N::BotReply(_)
        | N::MerchantApplicationApproved(_)
        | N::MerchantApplicationMoreInfo(_)
        | N::MerchantApplicationRejected(_) => {
            if zh {
                format!("您收到这封邮件，是因为{org_zh}为您登记了需求，您也确认了接收进展邮件。")
            } else {
                format!("You get this email because {org_en} registered your needs and you agreed to hear how they go.")
            }
        }
    }
}

/// Moves `static/mail.css` into `style` attributes. Nothing is fetched: the sheet is
/// compiled in and remote stylesheets are off.
fn inline_css(html: &str) -> Result<String, RenderError> {
    static INLINER: std::sync::LazyLock<css_inline::CSSInliner<'static>> = std::sync::LazyLock::new(|| {
        css_inline::CSSInliner::options()
            .load_remote_stylesheets(false)
            .extra_css(Some(std::borrow::Cow::Borrowed(MAIL_CSS)))
            .build()
    });
    INLINER.inline(html).map_err(|e| RenderError::Inline(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_shown_with_one_decimal() {
        assert_eq!(tenths(25), "2.5");
        assert_eq!(tenths(130), "13.0");
        assert_eq!(tenths(0), "0.0");
    }

    #[test]
    fn a_payload_missing_a_field_is_an_error_not_an_empty_text() {
        let err = render(
            "resident-need-claimed",
            Locale::En,
            &serde_json::json!({ "title": "rice" }),
            &Links::default(),
        )
        .expect_err("incomplete payload");
        assert!(matches!(err, RenderError::Payload { .. }), "{err}");
        assert!(matches!(
            render("no-such-kind", Locale::En, &serde_json::json!({}), &Links::default()),
            Err(RenderError::UnknownKind(_))
        ));
    }

    #[test]
    fn html_parts_escape_what_came_from_users() {
        let payload = serde_json::json!({ "need_id": 1, "title": "<b>rice</b>", "quantity": 1, "unit": "bag" });
        let out = render("resident-need-registered", Locale::En, &payload, &Links::default()).expect("render");
        assert!(
            out.html.contains("&#60;b&#62;rice") || out.html.contains("&lt;b&gt;rice"),
            "{}",
            out.html
        );
        assert!(out.text.contains("<b>rice</b>"), "plain text is not escaped");
    }

    #[test]
    fn the_html_part_is_styled_inline_and_names_the_organization() {
        let payload = serde_json::json!({ "need_id": 1, "title": "rice", "quantity": 1, "unit": "bag" });
        let links = Links {
            organization: Some("Tiandong Elderly Care".into()),
            unsubscribe_url: Some("https://relay.example.org/unsubscribe/x".into()),
            ..Links::default()
        };
        let out = render("resident-need-registered", Locale::En, &payload, &links).expect("render");
        assert!(!out.html.contains("<style"), "{}", out.html);
        assert!(out.html.contains("style=\""), "{}", out.html);
        assert!(out.html.contains("Tiandong Elderly Care"), "{}", out.html);
        assert!(
            out.text.contains("Tiandong Elderly Care"),
            "the reason names it: {}",
            out.text
        );
    }

    #[test]
    fn an_invitation_carries_one_sign_up_button_a_role_and_a_sign_up_its_cancel_link() {
        let event = serde_json::json!({
            "event_id": 3, "volunteer_id": 9, "title": "冬日爱心集市", "event_kind": "market", "when": "2026-12-20 09:30–12:00",
            "place": "东和社区党群服务中心", "organizer": "沙头角街道社工站",
        });
        let mut invite = event.clone();
        invite["roles"] = serde_json::json!([
            { "role_id": 4, "name": "帮手", "slots": 8, "free": 5 },
            { "role_id": 5, "name": "急救", "slots": 2, "free": 0 }
        ]);
        let links = Links {
            signup_urls: vec![
                (4, "https://r.example/e/3/join?r=4".into()),
                (5, "https://r.example/e/3/join?r=5".into()),
            ],
            ..Links::default()
        };
        let out = render("resident-event-invite", Locale::ZhCn, &invite, &links).expect("render");
        assert!(
            out.text
                .contains("帮手（共 8 人，还剩 5 个名额）：https://r.example/e/3/join?r=4"),
            "{}",
            out.text
        );
        assert!(
            out.html.contains("href=\"https://r.example/e/3/join?r=5\""),
            "{}",
            out.html
        );
        assert!(
            out.subject.contains("冬日爱心集市") && out.text.contains("爱心集市"),
            "{}",
            out.subject
        );
        let mut signed = event;
        signed["role"] = "帮手".into();
        signed["waitlisted"] = true.into();
        signed["position"] = 2.into();
        let links = Links {
            cancel_url: Some("https://r.example/e/3/cancel?v=9".into()),
            ..Links::default()
        };
        let out = render("resident-event-signed-up", Locale::En, &signed, &links).expect("render");
        assert!(out.subject.starts_with("On the waitlist"), "{}", out.subject);
        assert!(
            out.text.contains("number 2 on its waitlist") && out.text.contains("https://r.example/e/3/cancel?v=9"),
            "{}",
            out.text
        );
    }

    #[test]
    fn a_workers_email_names_the_organization_it_works_for() {
        let payload = serde_json::json!({ "need_id": 1, "title": "rice", "quantity": 1, "unit": "bag" });
        let links = Links {
            organization: Some("Tiandong Elderly Care".into()),
            ..Links::default()
        };
        let out = render("worker-claim-released", Locale::En, &payload, &links).expect("render");
        assert!(
            out.text.contains("because you work for “Tiandong Elderly Care”"),
            "{}",
            out.text
        );
        assert!(out.html.contains("class=\"org\""), "in the header: {}", out.html);
        let plain = render("worker-claim-released", Locale::ZhCn, &payload, &Links::default()).expect("render");
        assert!(plain.text.contains("这条需求由您发布"), "{}", plain.text);
    }

    #[test]
    fn a_redelivery_says_so_and_shows_the_reason_it_answers() {
        let payload = serde_json::json!({ "need_id": 1, "title": "rice", "merchant_name": "Shop", "quantity": 2,
            "unit": "bags", "note": "left at the desk", "reason": "one bag short", "redelivery": true });
        let out = render("worker-delivery-to-confirm", Locale::En, &payload, &Links::default()).expect("render");
        assert_eq!(out.subject, "Redelivered after your dispute, please confirm: rice");
        assert!(out.text.contains("delivered 2 bags again"), "{}", out.text);
        assert!(out.text.contains("Your dispute said: one bag short"), "{}", out.text);
        assert!(
            out.text.contains("The merchant’s note: left at the desk"),
            "{}",
            out.text
        );
        let first = serde_json::json!({ "need_id": 1, "title": "rice", "merchant_name": "Shop", "quantity": 2,
            "unit": "bags", "reason": "stale", "redelivery": false });
        let out = render("worker-delivery-to-confirm", Locale::En, &first, &Links::default()).expect("render");
        assert_eq!(out.subject, "Please confirm a delivery: rice");
        assert!(
            !out.text.contains("dispute") && !out.text.contains("note"),
            "{}",
            out.text
        );
    }

    #[test]
    fn volunteer_hours_are_served_not_delivered() {
        let payload = serde_json::json!({ "need_id": 1, "title": "陪诊", "merchant_name": "义工队", "quantity": 2,
            "unit": "小时", "expected_date": "2026-12-08", "category": "volunteer_hours" });
        for kind in [
            "resident-need-claimed",
            "worker-need-claimed",
            "resident-need-delivered",
            "worker-delivery-to-confirm",
        ] {
            let zh = render(kind, Locale::ZhCn, &payload, &Links::default()).expect("render");
            assert!(zh.text.contains("服务"), "{kind}: {}", zh.text);
            assert!(
                !zh.text.contains("送达") && !zh.subject.contains("送达"),
                "{kind}: {}",
                zh.text
            );
            let en = render(kind, Locale::En, &payload, &Links::default()).expect("render");
            assert!(!en.text.to_lowercase().contains("deliver"), "{kind}: {}", en.text);
        }
    }
}
