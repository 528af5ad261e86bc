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
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::Locale;

/// The digest of notifications held back by the hourly limit.
pub const DIGEST_KIND: &str = "digest";

/// Every kind that has a template (the consent email's kind is
/// [`crate::services::contacts::CONSENT_KIND`]).
pub const KINDS: &[&str] = &[
    "contact-consent",
    "resident-need-registered",
    "resident-need-claimed",
    "resident-need-delivered",
    "resident-need-cancelled",
    "resident-need-expired",
    "resident-hours-confirmed",
    DIGEST_KIND,
    "worker-need-claimed",
    "worker-delivery-to-confirm",
    "worker-claim-released",
    "worker-claim-lapsed",
    "worker-need-near-deadline",
    crate::services::duplicates::COORDINATE_KIND,
];

/// The links a message may carry.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// `RELAY_PUBLIC_URL`, without a trailing slash.
    pub public_url: String,
    /// The recipient's one-click unsubscribe URL (residents only).
    pub unsubscribe_url: Option<String>,
    /// The double opt-in confirmation URL (the consent email only).
    pub confirm_url: Option<String>,
    /// The organization the consent is for (residents' mail), or the one a social worker
    /// works for (workers' mail).
    pub organization: Option<String>,
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
    /// The consent email was asked for without its confirmation link.
    #[error("the consent email needs a confirmation link")]
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
}

/// `resident-need-registered`.
#[derive(Debug, Deserialize)]
struct NeedRegistered {
    title: String,
    quantity: i64,
    unit: String,
}

/// `resident-need-claimed` and `worker-need-claimed`.
#[derive(Debug, Deserialize)]
struct NeedClaimed {
    need_id: i64,
    title: String,
    merchant_name: String,
    quantity: i64,
    unit: String,
    expected_date: String,
    /// The need's category; rows written before it was added read as goods.
    #[serde(default)]
    category: String,
}

/// `resident-need-delivered` and `worker-delivery-to-confirm`.
#[derive(Debug, Deserialize)]
struct Delivered {
    need_id: i64,
    title: String,
    merchant_name: String,
    quantity: i64,
    unit: String,
    #[serde(default)]
    category: String,
    /// The merchant's note to the worker (worker's mail only).
    #[serde(default)]
    note: Option<String>,
    /// The dispute this delivery answers (worker's mail only).
    #[serde(default)]
    reason: Option<String>,
    /// Delivered again after a dispute.
    #[serde(default)]
    redelivery: bool,
}

impl NeedClaimed {
    fn is_hours(&self) -> bool {
        self.category == VOLUNTEER_HOURS
    }
}

impl Delivered {
    fn is_hours(&self) -> bool {
        self.category == VOLUNTEER_HOURS
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

/// True when a payload is about a delivery after a dispute (for the subject lines).
fn is_redelivery(payload: &serde_json::Value) -> bool {
    payload.get("redelivery").and_then(|r| r.as_bool()) == Some(true)
}

impl ClaimFacts {
    fn is_hours(&self) -> bool {
        self.category == VOLUNTEER_HOURS
    }
}

/// True when a payload is about volunteer hours (for the subject lines).
fn is_hours(payload: &serde_json::Value) -> bool {
    payload.get("category").and_then(|c| c.as_str()) == Some(VOLUNTEER_HOURS)
}

/// `resident-need-cancelled` and `resident-need-expired`.
#[derive(Debug, Deserialize)]
struct NeedEnded {
    title: String,
}

/// `worker-claim-released`, and the claim inside `worker-claim-lapsed`.
#[derive(Debug, Deserialize)]
struct ClaimFacts {
    need_id: i64,
    title: String,
    quantity: i64,
    unit: String,
    #[serde(default)]
    category: String,
}

/// `worker-claim-lapsed`.
#[derive(Debug, Deserialize)]
struct ClaimLapsed {
    merchant_name: String,
    claim: ClaimFacts,
}

/// `worker-need-near-deadline`.
#[derive(Debug, Deserialize)]
struct NearDeadline {
    need_id: i64,
    title: String,
    left: i64,
    unit: String,
    deadline: String,
}

/// `worker-duplicate-coordinate`: codes and an organization's name, no private values.
#[derive(Debug, Deserialize)]
struct Coordinate {
    beneficiary_id: i64,
    own_code: String,
    other_code: String,
    other_organization: String,
}

/// `resident-hours-confirmed`: hours in tenths, as stored.
#[derive(Debug, Deserialize)]
struct HoursConfirmed {
    activity: String,
    tenths: i64,
    served_on: String,
    balance_tenths: i64,
}

impl HoursConfirmed {
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

/// One notification inside a digest, as stored in the digest row's payload.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct DigestItem {
    /// The held row's kind.
    pub kind: String,
    /// The held row's payload.
    pub payload: serde_json::Value,
}

/// `digest`.
#[derive(Debug, Deserialize)]
struct DigestPayload {
    items: Vec<DigestItem>,
}

struct Digest {
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
    DeliveredText, DeliveredHtml, Delivered, "email/resident-need-delivered.txt", "email/resident-need-delivered.html";
    CancelledText, CancelledHtml, NeedEnded, "email/resident-need-cancelled.txt", "email/resident-need-cancelled.html";
    ExpiredText, ExpiredHtml, NeedEnded, "email/resident-need-expired.txt", "email/resident-need-expired.html";
    HoursText, HoursHtml, HoursConfirmed, "email/resident-hours-confirmed.txt", "email/resident-hours-confirmed.html";
    DigestText, DigestHtml, Digest, "email/digest.txt", "email/digest.html";
    WorkerClaimedText, WorkerClaimedHtml, NeedClaimed, "email/worker-need-claimed.txt", "email/worker-need-claimed.html";
    ToConfirmText, ToConfirmHtml, Delivered, "email/worker-delivery-to-confirm.txt", "email/worker-delivery-to-confirm.html";
    ReleasedText, ReleasedHtml, ClaimFacts, "email/worker-claim-released.txt", "email/worker-claim-released.html";
    LapsedText, LapsedHtml, ClaimLapsed, "email/worker-claim-lapsed.txt", "email/worker-claim-lapsed.html";
    NearDeadlineText, NearDeadlineHtml, NearDeadline, "email/worker-need-near-deadline.txt", "email/worker-need-near-deadline.html";
    CoordinateText, CoordinateHtml, Coordinate, "email/worker-duplicate-coordinate.txt", "email/worker-duplicate-coordinate.html";
}

fn parse<P: DeserializeOwned>(kind: &str, payload: &serde_json::Value) -> Result<P, RenderError> {
    P::deserialize(payload).map_err(|source| RenderError::Payload {
        kind: kind.to_owned(),
        source,
    })
}

/// The subject line of `kind` in the chosen language.
pub fn subject(kind: &str, locale: Locale, payload: &serde_json::Value) -> Result<String, RenderError> {
    let zh = locale == Locale::ZhCn;
    let pick = |zh_text: String, en_text: String| if zh { zh_text } else { en_text };
    let title = |p: &serde_json::Value| -> Result<String, RenderError> { Ok(parse::<NeedEnded>(kind, p)?.title) };
    Ok(match kind {
        "contact-consent" => pick(
            "请确认：接收爱心接力的需求进展邮件".into(),
            "Please confirm: news of your needs from the charity relay".into(),
        ),
        "resident-need-registered" => {
            let t = title(payload)?;
            pick(format!("您的需求已登记：{t}"), format!("Your need is registered: {t}"))
        }
        "resident-need-claimed" => {
            let t = title(payload)?;
            pick(
                format!("好消息，您的需求已被认领：{t}"),
                format!("Good news, your need was claimed: {t}"),
            )
        }
        "resident-need-delivered" if is_hours(payload) => {
            let t = title(payload)?;
            pick(
                format!("已完成服务并确认：{t}"),
                format!("Service done and confirmed: {t}"),
            )
        }
        "resident-need-delivered" => {
            let t = title(payload)?;
            pick(format!("已送达并确认：{t}"), format!("Delivered and confirmed: {t}"))
        }
        "resident-need-cancelled" => {
            let t = title(payload)?;
            pick(format!("需求已取消：{t}"), format!("Need cancelled: {t}"))
        }
        "resident-need-expired" => {
            let t = title(payload)?;
            pick(format!("需求已到期：{t}"), format!("Need expired: {t}"))
        }
        "resident-hours-confirmed" => {
            let h = parse::<HoursConfirmed>(kind, payload)?.hours();
            pick(
                format!("志愿时数已确认：{h} 小时"),
                format!("Volunteer hours confirmed: {h} h"),
            )
        }
        DIGEST_KIND => {
            let n = parse::<DigestPayload>(kind, payload)?.items.len();
            pick(format!("您的需求有 {n} 条新消息"), format!("{n} updates on your needs"))
        }
        "worker-need-claimed" => {
            let t = title(payload)?;
            pick(format!("需求被认领：{t}"), format!("Need claimed: {t}"))
        }
        "worker-delivery-to-confirm" if is_redelivery(payload) && is_hours(payload) => {
            let t = title(payload)?;
            pick(
                format!("异议后重新完成服务，请确认：{t}"),
                format!("Served again after your dispute, please confirm: {t}"),
            )
        }
        "worker-delivery-to-confirm" if is_redelivery(payload) => {
            let t = title(payload)?;
            pick(
                format!("异议后重新送达，请确认：{t}"),
                format!("Redelivered after your dispute, please confirm: {t}"),
            )
        }
        "worker-delivery-to-confirm" if is_hours(payload) => {
            let t = title(payload)?;
            pick(
                format!("请确认已完成服务：{t}"),
                format!("Please confirm a service was done: {t}"),
            )
        }
        "worker-delivery-to-confirm" => {
            let t = title(payload)?;
            pick(format!("请确认送达：{t}"), format!("Please confirm a delivery: {t}"))
        }
        "worker-claim-released" => {
            let t = title(payload)?;
            pick(format!("认领已放弃：{t}"), format!("Claim released: {t}"))
        }
        "worker-claim-lapsed" => {
            let t = parse::<ClaimLapsed>(kind, payload)?.claim.title;
            pick(format!("认领逾期失效：{t}"), format!("Claim lapsed: {t}"))
        }
        "worker-need-near-deadline" => {
            let t = title(payload)?;
            pick(
                format!("需求即将截止，仍未认领完：{t}"),
                format!("Deadline near, not fully claimed: {t}"),
            )
        }
        "worker-duplicate-coordinate" => {
            let code = parse::<Coordinate>(kind, payload)?.own_code;
            pick(
                format!("请协调：受助人 {code} 也在另一家机构登记"),
                format!("Please coordinate: beneficiary {code} is also registered by another organization"),
            )
        }
        other => return Err(RenderError::UnknownKind(other.to_owned())),
    })
}

/// Renders message `kind` for a recipient speaking `locale`.
pub fn render(kind: &str, locale: Locale, payload: &serde_json::Value, links: &Links) -> Result<Rendered, RenderError> {
    let zh = locale == Locale::ZhCn;
    let organization = links.organization.clone().filter(|o| !o.is_empty());
    let f = Frame {
        zh,
        lang: locale.as_str(),
        subject: subject(kind, locale, payload)?,
        public_url: links.public_url.clone(),
        unsubscribe_url: links.unsubscribe_url.clone(),
        why: why(kind, zh, organization.as_deref()),
        organization,
    };
    let f = &f;
    let (text, html) = match kind {
        "contact-consent" => {
            let p = &Consent {
                confirm_url: links.confirm_url.clone().ok_or(RenderError::MissingConfirmLink)?,
                days: crate::services::contacts::CONFIRM_VALIDITY.num_days(),
                organization: links.organization.clone().unwrap_or_default(),
            };
            (ConsentText { f, p }.render()?, ConsentHtml { f, p }.render()?)
        }
        "resident-need-registered" => {
            let p = &parse(kind, payload)?;
            (RegisteredText { f, p }.render()?, RegisteredHtml { f, p }.render()?)
        }
        "resident-need-claimed" => {
            let p = &parse(kind, payload)?;
            (ClaimedText { f, p }.render()?, ClaimedHtml { f, p }.render()?)
        }
        "resident-need-delivered" => {
            let p = &parse(kind, payload)?;
            (DeliveredText { f, p }.render()?, DeliveredHtml { f, p }.render()?)
        }
        "resident-need-cancelled" => {
            let p = &parse(kind, payload)?;
            (CancelledText { f, p }.render()?, CancelledHtml { f, p }.render()?)
        }
        "resident-need-expired" => {
            let p = &parse(kind, payload)?;
            (ExpiredText { f, p }.render()?, ExpiredHtml { f, p }.render()?)
        }
        "resident-hours-confirmed" => {
            let p = &parse(kind, payload)?;
            (HoursText { f, p }.render()?, HoursHtml { f, p }.render()?)
        }
        DIGEST_KIND => {
            let items = parse::<DigestPayload>(kind, payload)?.items;
            // A held item that no longer renders still shows up as a line, not as a lost mail.
            let lines = items
                .iter()
                .map(|i| {
                    subject(&i.kind, locale, &i.payload)
                        .unwrap_or_else(|_| if zh { "一条更新".into() } else { "An update".into() })
                })
                .collect();
            let p = &Digest { lines };
            (DigestText { f, p }.render()?, DigestHtml { f, p }.render()?)
        }
        "worker-need-claimed" => {
            let p = &parse(kind, payload)?;
            (
                WorkerClaimedText { f, p }.render()?,
                WorkerClaimedHtml { f, p }.render()?,
            )
        }
        "worker-delivery-to-confirm" => {
            let p = &parse(kind, payload)?;
            (ToConfirmText { f, p }.render()?, ToConfirmHtml { f, p }.render()?)
        }
        "worker-claim-released" => {
            let p = &parse(kind, payload)?;
            (ReleasedText { f, p }.render()?, ReleasedHtml { f, p }.render()?)
        }
        "worker-claim-lapsed" => {
            let p = &parse(kind, payload)?;
            (LapsedText { f, p }.render()?, LapsedHtml { f, p }.render()?)
        }
        "worker-need-near-deadline" => {
            let p = &parse(kind, payload)?;
            (NearDeadlineText { f, p }.render()?, NearDeadlineHtml { f, p }.render()?)
        }
        "worker-duplicate-coordinate" => {
            let p = &parse(kind, payload)?;
            (CoordinateText { f, p }.render()?, CoordinateHtml { f, p }.render()?)
        }
        other => return Err(RenderError::UnknownKind(other.to_owned())),
    };
    Ok(Rendered {
        subject: f.subject.clone(),
        text,
        html: inline_css(&html)?,
    })
}

/// The footer line that tells the recipient why this message reached them.
fn why(kind: &str, zh: bool, organization: Option<&str>) -> String {
    let org_zh = organization.map_or_else(|| "社工".to_owned(), |o| format!("「{o}」的社工"));
    let org_en = organization.map_or_else(|| "a social worker".to_owned(), |o| format!("a social worker of “{o}”"));
    match kind {
        "contact-consent" => {
            if zh {
                format!("您收到这封邮件，是因为{org_zh}填写了这个邮箱，请您确认是否接收。")
            } else {
                format!(
                    "You get this email because {org_en} entered this address and asks whether you want these emails."
                )
            }
        }
        crate::services::duplicates::COORDINATE_KIND => match (organization, zh) {
            (Some(o), true) => format!("您收到这封邮件，是因为您是「{o}」的社工。"),
            (Some(o), false) => format!("You get this email because you work for “{o}” as a social worker."),
            (None, true) => "您收到这封邮件，是因为您是该机构的社工。".to_owned(),
            (None, false) => "You get this email because you are a social worker of that organization.".to_owned(),
        },
        k if k.starts_with("worker-") => match (organization, zh) {
            (Some(o), true) => format!("您收到这封邮件，是因为您是「{o}」的社工，这条需求由您发布。"),
            (Some(o), false) => format!("You get this email because you work for “{o}” and posted this need."),
            (None, true) => "您收到这封邮件，是因为这条需求由您发布。".to_owned(),
            (None, false) => "You get this email because you posted this need.".to_owned(),
        },
        "resident-hours-confirmed" => {
            if zh {
                format!("您收到这封邮件，是因为{org_zh}为您记录志愿服务时长，您也确认了接收相关邮件。")
            } else {
                format!(
                    "You get this email because {org_en} records your volunteer hours and you agreed to hear about them."
                )
            }
        }
        _ => {
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
