//! The audit log and the outbox, in words a clerk reads: every action, actor, subject,
//! outcome, message kind, channel and status is labelled in the page's language; filters
//! are selects of those labels, never typed codes.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::super::views::local_time;
use super::super::{Chrome, Options, OrPage, PageResult, render};
use super::sorting::by_name;
use crate::AppState;
use crate::domain::OutboxStatus;
use crate::i18n::Tr;
use crate::services::office::{self, AuditFilter};
use crate::web::session::Staff;

/// Every action the services write to the audit log (each has an `action.<code>` label in
/// both languages: a unit test below holds it so).
pub const ACTIONS: &[&str] = &[
    "admission.renew",
    "api.locked_out",
    "api_token.issue",
    "api_token.revoke",
    "beneficiary.names.read",
    "beneficiary.private.read",
    "beneficiary.register",
    "claim.confirm",
    "claim.create",
    "claim.deliver",
    "claim.dispute",
    "claim.handoff_code",
    "claim.handoff_reset",
    "claim.lapse",
    "claim.read",
    "claim.release",
    "claim.resume",
    "community.create",
    "contact.consent",
    "contact.consent_renew",
    "contact.undeliverable",
    "contact.unsubscribe",
    "csrf.foreign_origin",
    "csrf.missing_or_wrong_token",
    "demo.load",
    "duplicate.queue",
    "duplicate.resolve",
    "event.attach_need",
    "event.cancel",
    "event.cancel_link",
    "event.check_in",
    "event.check_out",
    "event.create",
    "event.invite",
    "event.promote",
    "event.record_hours",
    "event.signup",
    "event.signup_cancel",
    "event.signup_link",
    "event.staff_signup",
    "event.view",
    "hours.confirm",
    "hours.log",
    "merchant.alert_settings",
    "merchant.create",
    "merchant.link_code.issue",
    "merchant.public",
    "merchant.status",
    "merchant.telegram_link",
    "merchant_application.approve",
    "merchant_application.list",
    "merchant_application.lookalike",
    "merchant_application.more_info",
    "merchant_application.read",
    "merchant_application.reject",
    "merchant_application.submit",
    "need.ask_declined",
    "need.ask_merchant",
    "need.cancel",
    "need.edit",
    "need.expire",
    "need.flag_aging",
    "need.post",
    "need.read",
    "need.recur",
    "need.series.end",
    "offer.add",
    "offer.list",
    "offer.pause",
    "offer.resume",
    "office.audit",
    "office.merchants",
    "office.organizations",
    "office.outbox",
    "office.reports",
    "office.staff",
    "office.tokens",
    "organization.create",
    "organization.status",
    "outbox.retry",
    "sponsorship.end",
    "sponsorship.offer",
    "sponsorship.read",
    "sponsorship.renew",
    "sponsorship.start",
    "staff.create",
    "staff.deactivate",
    "staff.login",
    "staff.password_change",
    "staff.reactivate",
    "volunteer.add",
];

/// Kinds of actor in the audit log.
#[cfg(test)]
const ACTORS: &[&str] = &["staff", "merchant", "api_token", "system", "anonymous"];

/// Kinds of subject in the audit log.
pub const SUBJECTS: &[&str] = &[
    "api_token",
    "beneficiary",
    "claim",
    "community",
    "contact",
    "event",
    "event_signup",
    "merchant",
    "merchant_application",
    "need",
    "offer",
    "organization",
    "outbox",
    "possible_duplicate",
    "staff",
    "volunteer",
    "volunteer_hours",
];

/// Outcomes of an audited action.
pub const OUTCOMES: &[&str] = &["ok", "denied", "failed"];

/// Kinds of message the outbox carries (labels are looked up by code; this list keeps
/// them complete).
#[cfg(test)]
const MESSAGE_KINDS: &[&str] = &[
    "bot-reply",
    "contact-consent",
    "demo-link-code",
    "merchant-application-approved",
    "merchant-application-more-info",
    "merchant-application-rejected",
    "merchant-claim-confirmed",
    "merchant-claim-disputed",
    "merchant-claim-lapsed",
    "merchant-claim-reminder",
    "merchant-claim-thanks",
    "merchant-need-alert",
    "merchant-need-cancelled",
    "merchant-need-digest",
    "merchant-need-expired",
    "merchant-sponsor-renewal",
    "merchant-sponsorship-ended",
    "resident-hours-confirmed",
    "resident-need-cancelled",
    "resident-need-claimed",
    "resident-need-delivered",
    "resident-need-expired",
    "resident-need-registered",
    "resident-need-sponsored",
    "worker-claim-lapsed",
    "worker-claim-released",
    "worker-delivery-to-confirm",
    "worker-duplicate-coordinate",
    "worker-need-claimed",
    "worker-referral-accepted",
    "worker-referral-declined",
    "worker-referral-received",
    "worker-referral-reminder",
    "worker-need-near-deadline",
    "resident-event-invite",
    "resident-event-signed-up",
    "resident-event-promoted",
    "resident-event-reminder",
    "resident-event-cancelled",
    "resident-event-signup-cancelled",
];

/// Why a message stopped, as the dispatcher records it, and the key of its label.
const OUTBOX_REASONS: &[(&str, &str)] = &[
    ("contact no longer exists", "outbox.reason.contact_gone"),
    ("address undeliverable", "outbox.reason.undeliverable"),
    ("contact unsubscribed", "outbox.reason.unsubscribed"),
    ("consent already given", "outbox.reason.consent_given"),
    (crate::services::outbox::SHOWN_IN_REPLY, "outbox.reason.shown_in_reply"),
    ("timed out", "outbox.reason.timed_out"),
    ("no sender for this channel", "outbox.reason.no_sender"),
];

/// A message's last error in words: a known reason by its label; a mail or Bot API server's
/// own text (English, technical) as "sending failed", the text kept for a tooltip.
fn outbox_reason(t: Tr, raw: &str) -> (String, String) {
    if raw.is_empty() {
        return (String::new(), String::new());
    }
    match OUTBOX_REASONS.iter().find(|(reason, _)| *reason == raw) {
        Some((_, key)) => (t.get(key).to_owned(), String::new()),
        None => (t.get("outbox.reason.failed").to_owned(), redact_emails(raw)),
    }
}

/// The label of `code` under `prefix` (e.g. `action.` + `claim.lapse`), or the label of
/// `fallback` for a code this build does not know (never the raw code).
pub fn label(t: Tr, prefix: &str, code: &str, fallback: &str) -> String {
    let key = format!("{prefix}{code}");
    let text = t.get(&key);
    if text == key {
        t.get(fallback).to_owned()
    } else {
        text.to_owned()
    }
}

/// Options of a select over `codes`, labelled and sorted by label (pinyin order in Chinese),
/// with "any" first.
fn options(t: Tr, prefix: &str, codes: &[&str], selected: &str) -> Options {
    let mut list: Options = codes
        .iter()
        .map(|c| ((*c).to_owned(), label(t, prefix, c, "audit.unknown"), *c == selected))
        .collect();
    list.sort_by(|a, b| by_name(&a.1, &b.1));
    list.insert(0, (String::new(), t.get("filter.any").to_owned(), selected.is_empty()));
    list
}

/// One row of the audit log.
struct AuditRow {
    at: String,
    actor: String,
    action: String,
    action_code: String,
    subject: String,
    outcome: String,
    denied: bool,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    actions: Options,
    outcomes: Options,
    subjects: Options,
    rows: Vec<AuditRow>,
    prev: String,
    next: String,
}

/// Filters of the audit log page.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    subject_kind: String,
    #[serde(default)]
    page: u64,
}

impl AuditQuery {
    fn link(&self, page: u64) -> String {
        let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        format!(
            "/admin/audit?action={}&outcome={}&subject_kind={}&page={page}",
            enc(&self.action),
            enc(&self.outcome),
            enc(&self.subject_kind),
        )
    }
}

fn with_id(kind: String, id: Option<String>) -> String {
    match id {
        Some(id) if !id.is_empty() => format!("{kind} #{id}"),
        _ => kind,
    }
}

/// `GET /admin/audit`.
pub async fn audit(State(state): State<AppState>, staff: Staff, Query(q): Query<AuditQuery>) -> PageResult {
    let t = staff.t;
    let filter = AuditFilter {
        action: Some(q.action.clone()),
        outcome: Some(q.outcome.clone()),
        subject_kind: Some(q.subject_kind.clone()),
        page: q.page,
    };
    let (rows, more) = office::audit_log(&state.db, &staff.caller, &filter, chrono::Utc::now())
        .await
        .or_page(t)?;
    let rows = rows
        .into_iter()
        .map(|r| AuditRow {
            at: local_time(r.at),
            actor: with_id(
                label(t, "actor.", &r.actor_kind, "audit.unknown"),
                r.actor_id.map(|i| i.to_string()),
            ),
            action: label(t, "action.", &r.action, "audit.unknown"),
            subject: match r.subject_kind {
                Some(kind) => with_id(
                    label(t, "subject.", &kind, "audit.unknown"),
                    r.subject_id.map(|i| i.to_string()),
                ),
                None => String::new(),
            },
            outcome: label(t, "outcome.", &r.outcome, "audit.unknown"),
            denied: r.outcome != "ok",
            action_code: r.action,
        })
        .collect();
    let next = if more { q.link(q.page + 1) } else { String::new() };
    let prev = if q.page > 0 { q.link(q.page - 1) } else { String::new() };
    Ok(render(
        StatusCode::OK,
        AuditPage {
            c: Chrome::new(t, &staff.session, "admin.audit"),
            actions: options(t, "action.", ACTIONS, &q.action),
            outcomes: options(t, "outcome.", OUTCOMES, &q.outcome),
            subjects: options(t, "subject.", SUBJECTS, &q.subject_kind),
            rows,
            prev,
            next,
        },
    ))
}

/// One message in the outbox list.
struct OutboxRow {
    id: i64,
    channel: String,
    kind: String,
    recipient: String,
    attempts: i32,
    last_error: String,
    /// The server's own words behind "sending failed", for a tooltip.
    error_detail: String,
    next_attempt: String,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct OutboxPage {
    c: Chrome,
    status: String,
    status_label: String,
    /// (code, label, count, current).
    counts: Vec<(String, String, u64, bool)>,
    rows: Vec<OutboxRow>,
    prev: String,
    next: String,
}

/// The outbox filter.
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: u64,
}

/// `GET /admin/outbox`: pending, failed and dead messages.
pub async fn outbox(State(state): State<AppState>, staff: Staff, Query(q): Query<OutboxQuery>) -> PageResult {
    let t = staff.t;
    let status = q.status.parse().unwrap_or(OutboxStatus::Dead);
    let page = q.page;
    let link = |p: u64| format!("/admin/outbox?status={status}&page={p}");
    let (rows, more, counts) = office::outbox(&state.db, &staff.caller, status, page, chrono::Utc::now())
        .await
        .or_page(t)?;
    let next = if more { link(page + 1) } else { String::new() };
    let prev = if page > 0 { link(page - 1) } else { String::new() };
    // Only a masked recipient is shown: the office needs to see that mail is stuck,
    // not whom it is for.
    let rows = rows
        .into_iter()
        .map(|r| {
            let (last_error, error_detail) = outbox_reason(t, r.last_error.as_deref().unwrap_or_default());
            OutboxRow {
                id: r.id,
                channel: label(t, "outbox.channel.", r.channel.as_str(), "audit.unknown"),
                kind: label(t, "outbox.kind.", &r.kind, "outbox.kind_other"),
                recipient: mask(&r.recipient),
                attempts: r.attempts,
                last_error,
                error_detail,
                next_attempt: local_time(r.next_attempt_at),
            }
        })
        .collect();
    let counts = counts
        .into_iter()
        .map(|(s, n)| {
            let current = s == status;
            (
                s.to_string(),
                label(t, "outbox.status.", s.as_str(), "audit.unknown"),
                n,
                current,
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        OutboxPage {
            c: Chrome::new(t, &staff.session, "admin.outbox"),
            status_label: label(t, "outbox.status.", status.as_str(), "audit.unknown"),
            status: status.to_string(),
            counts,
            rows,
            prev,
            next,
        },
    ))
}

/// A recipient as the office may see it: an email address by its first letter and domain, a
/// Telegram chat by its last two digits only (a chat id reaches the person directly).
fn mask(recipient: &str) -> String {
    if let Some(chat) = recipient.strip_prefix("chat:") {
        let digits: Vec<char> = chat.chars().filter(char::is_ascii_digit).collect();
        let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
        return format!("Telegram ·· {tail}");
    }
    match recipient.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => recipient.to_owned(),
    }
}

/// `text` with the local part of every email address in it replaced by `***`: a mail server's
/// own error text may name an address no one has verified, and the office needs the domain at
/// most.
fn redact_emails(text: &str) -> String {
    fn local(c: char) -> bool {
        c.is_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c)
    }
    fn domain(c: char) -> bool {
        c.is_alphanumeric() || c == '-'
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' && chars.get(i + 1).is_some_and(|&c| domain(c)) {
            // Drop the local part already copied: the run of address characters before '@'.
            let mut start = i;
            while start > 0 && local(chars[start - 1]) {
                start -= 1;
            }
            if start < i {
                for _ in start..i {
                    out.pop();
                }
                out.push_str("***");
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `POST /admin/outbox/{id}/retry`: a dead message gets another round.
pub async fn retry_outbox(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    office::retry_outbox(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to("/admin/outbox?status=pending").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;
    use crate::domain::Locale;

    #[test]
    fn a_known_reason_reads_in_words_and_a_servers_own_text_waits_in_a_tooltip() {
        let t = Tr(Locale::ZhCn);
        let (shown, detail) = outbox_reason(t, "consent already given");
        assert!(!shown.contains("consent") && detail.is_empty(), "{shown}");
        let (shown, detail) = outbox_reason(t, "550 5.1.1 mailbox unavailable");
        assert_eq!(
            (shown.as_str(), detail.as_str()),
            ("发送失败", "550 5.1.1 mailbox unavailable")
        );
        assert_eq!(outbox_reason(t, ""), (String::new(), String::new()));
    }

    #[test]
    fn a_recipient_is_masked_whether_an_address_or_a_telegram_chat() {
        assert_eq!(mask("chen@example.org"), "c***@example.org");
        assert_eq!(mask("chat:9001"), "Telegram ·· 01");
        assert_eq!(mask("chat:-1002345678"), "Telegram ·· 78");
        assert_eq!(mask("chat:7"), "Telegram ·· 7");
        assert!(!mask("chat:9001").contains("9001"));
    }

    #[test]
    fn a_servers_error_text_keeps_no_local_part_of_an_address() {
        assert_eq!(
            redact_emails("550 5.1.1 <chen.wei+x@example.org>: Recipient address rejected"),
            "550 5.1.1 <***@example.org>: Recipient address rejected"
        );
        assert_eq!(
            redact_emails("to a@b.cn, 李雷@例子.中国 failed"),
            "to ***@b.cn, ***@例子.中国 failed"
        );
        assert_eq!(redact_emails("timeout @ 5s; user@ host"), "timeout @ 5s; user@ host");
        assert_eq!(redact_emails("no address here"), "no address here");
        let (_, detail) = outbox_reason(Tr(Locale::En), "550 mailbox chen@example.org unavailable");
        assert_eq!(detail, "550 mailbox ***@example.org unavailable");
    }

    #[test]
    fn every_code_the_office_sees_has_a_label_in_both_languages() {
        for locale in [Locale::ZhCn, Locale::En] {
            let t = Tr(locale);
            for (prefix, codes) in [
                ("action.", ACTIONS),
                ("actor.", ACTORS),
                ("subject.", SUBJECTS),
                ("outcome.", OUTCOMES),
                (
                    "outbox.status.",
                    &OutboxStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()[..],
                ),
                ("outbox.kind.", MESSAGE_KINDS),
                (
                    "outbox.channel.",
                    &Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()[..],
                ),
                ("", &OUTBOX_REASONS.iter().map(|(_, key)| *key).collect::<Vec<_>>()[..]),
            ] {
                for code in codes {
                    let key = format!("{prefix}{code}");
                    assert_ne!(t.get(&key), key, "{key} has no {locale:?} label");
                }
            }
        }
    }
}
