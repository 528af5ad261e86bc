//! What templates show of needs and claims, already labelled in the page's language.

use crate::domain::time::LOCAL_OFFSET;
use crate::i18n::Tr;
use crate::services::claims::ClaimRecord;
use crate::services::needs::NeedCard;

/// A need as a card on a page.
pub struct NeedItem {
    /// Id.
    pub id: i64,
    /// Public title.
    pub title: String,
    /// Public description.
    pub description: String,
    /// True when urgent.
    pub urgent: bool,
    /// Status label.
    pub status: String,
    /// Category label.
    pub category: String,
    /// "3 of 10 bags left".
    pub left_text: String,
    /// Community name.
    pub community: String,
    /// Beneficiary group label.
    pub group: String,
    /// Deadline.
    pub deadline: String,
    /// Drop-off point with opening hours.
    pub drop_off: String,
}

impl NeedItem {
    /// The card of `n` in `t`'s language.
    pub fn new(t: Tr, n: &NeedCard) -> Self {
        let left = n.left().to_string();
        let quantity = n.quantity.to_string();
        NeedItem {
            id: n.id,
            title: n.title.clone(),
            description: n.description.clone(),
            urgent: n.urgency == crate::domain::Urgency::Urgent,
            status: n.status.label(t.0).to_owned(),
            category: n.category.label(t.0).to_owned(),
            left_text: t.fill(
                "need.left",
                &[("left", &left), ("quantity", &quantity), ("unit", &n.unit)],
            ),
            community: match t.0 {
                crate::domain::Locale::ZhCn => n.community.0.clone(),
                crate::domain::Locale::En => n.community.1.clone(),
            },
            group: n.group.label(t.0).to_owned(),
            deadline: n.deadline.to_string(),
            drop_off: n
                .drop_off
                .as_ref()
                .map(|d| super::needs::drop_off_label(t, &d.name, &d.address, &d.opening_hours))
                .unwrap_or_default(),
        }
    }
}

/// A claim on a page.
pub struct ClaimItem {
    /// Id.
    pub id: i64,
    /// The need.
    pub need_id: i64,
    /// The need's title.
    pub need_title: String,
    /// The merchant's public name.
    pub merchant: String,
    /// "3 bags".
    pub quantity: String,
    /// Status label.
    pub status: String,
    /// Status code.
    pub status_code: String,
    /// Due date (local).
    pub due: String,
    /// When delivered, if so.
    pub delivered: String,
    /// When confirmed, if so.
    pub confirmed: String,
    /// Rating, if any.
    pub rating: String,
    /// Too many wrong handoff codes: only the office confirms it.
    pub handoff_locked: bool,
    /// True for volunteer hours, which are served rather than delivered.
    pub hours: bool,
    /// "Due" or, for hours, "Serve by".
    pub due_label: String,
    /// "Delivered" or, for hours, "Served".
    pub delivered_label: String,
    /// The confirm button: "Confirm delivery" or "Confirm the service".
    pub confirm_label: String,
    /// The office's confirm button.
    pub office_confirm_label: String,
    /// Why the worker disputed it; empty if never.
    pub dispute_reason: String,
    /// The merchant's answer to the dispute; empty if none.
    pub dispute_answer: String,
    /// Past its due time and not delivered.
    pub overdue: bool,
}

impl ClaimItem {
    /// The claim `c` in `t`'s language, as it stands at `now`.
    pub fn new(t: Tr, c: &ClaimRecord, now: chrono::DateTime<chrono::Utc>) -> Self {
        let local =
            |d: chrono::DateTime<chrono::Utc>| d.with_timezone(&LOCAL_OFFSET).format("%Y-%m-%d %H:%M").to_string();
        ClaimItem {
            id: c.id,
            need_id: c.need_id,
            need_title: c.need_title.clone(),
            merchant: c.merchant_name.clone(),
            quantity: format!("{} {}", c.quantity, c.unit),
            status: c.status.label(t.0).to_owned(),
            status_code: c.status.as_str().to_owned(),
            due: local(c.due_at),
            delivered: c.delivered_at.map(local).unwrap_or_default(),
            confirmed: c.confirmed_at.map(local).unwrap_or_default(),
            rating: c.rating.map(|r| "★".repeat(r.max(0) as usize)).unwrap_or_default(),
            handoff_locked: c.handoff_locked,
            hours: c.hours,
            due_label: t.get(if c.hours { "claim.serve_by" } else { "claim.due" }).to_owned(),
            delivered_label: t
                .get(if c.hours {
                    "claim.served_at"
                } else {
                    "claim.delivered_at"
                })
                .to_owned(),
            confirm_label: t
                .get(if c.hours {
                    "claim.confirm_served"
                } else {
                    "claim.confirm"
                })
                .to_owned(),
            office_confirm_label: t
                .get(if c.hours {
                    "claim.office_confirm_served"
                } else {
                    "claim.office_confirm"
                })
                .to_owned(),
            dispute_reason: c.dispute_reason.clone().unwrap_or_default(),
            dispute_answer: c.dispute_answer.clone().unwrap_or_default(),
            overdue: c.status.is_overdue(c.due_at, now),
        }
    }
}

/// The open disputes the caller may see, for the office's reports (templates/reports_disputes.html).
pub struct OpenDisputes {
    /// Up to 50 disputed claims, newest first.
    pub items: Vec<ClaimItem>,
}

impl OpenDisputes {
    /// The disputed claims `caller` may see. A failure leaves the section empty (and is
    /// logged) rather than failing the whole report.
    pub async fn load(db: &sea_orm::DatabaseConnection, caller: &crate::services::access::Caller, t: Tr) -> Self {
        use crate::domain::ClaimStatus;
        match crate::services::claims::list_claims(db, caller, &[ClaimStatus::Disputed], 50).await {
            Ok(list) => OpenDisputes {
                items: list.iter().map(|c| ClaimItem::new(t, c, chrono::Utc::now())).collect(),
            },
            Err(e) => {
                tracing::warn!(error = %e, "reports: open disputes could not be listed");
                OpenDisputes { items: Vec::new() }
            }
        }
    }
}

/// A local date and time of an instant.
pub fn local_time(d: chrono::DateTime<chrono::Utc>) -> String {
    d.with_timezone(&LOCAL_OFFSET).format("%Y-%m-%d %H:%M").to_string()
}

/// The tab bar over a case file's pages (`templates/case_tabs.html`); each page of the
/// case file holds one in a field named `tabs`.
pub struct CaseTabs {
    /// The beneficiary's id, for the links.
    pub id: i64,
    /// The tab shown: one of [`CaseTabs::TABS`].
    pub current: &'static str,
    /// True for an organization that had the case before a referral moved it: it reads the
    /// ledger and visits up to the hand-over, and no other tab.
    pub history_only: bool,
}

impl CaseTabs {
    /// Tabs in order: (name, path after `/beneficiaries/{id}`, label key).
    pub const TABS: [(&'static str, &'static str, &'static str); 4] = [
        ("details", "", "case.tab.details"),
        ("ledger", "/ledger", "case.tab.ledger"),
        ("visits", "/visits", "case.tab.visits"),
        ("referrals", "/referrals", "case.tab.referrals"),
    ];

    /// The tab bar of beneficiary `id`'s case file with `current` shown.
    pub fn new(id: i64, current: &'static str) -> Self {
        Self {
            id,
            current,
            history_only: false,
        }
    }

    /// The tab bar an earlier owner sees when `read_only` (only the tabs it may open), else [`CaseTabs::new`].
    pub fn of_history(id: i64, current: &'static str, read_only: bool) -> Self {
        Self {
            history_only: read_only,
            ..Self::new(id, current)
        }
    }

    /// Each tab as (link, label key, shown now).
    pub fn links(&self) -> Vec<(String, &'static str, bool)> {
        Self::TABS
            .iter()
            .filter(|(name, _, _)| !self.history_only || matches!(*name, "ledger" | "visits"))
            .map(|(name, path, key)| (format!("/beneficiaries/{}{path}", self.id), *key, *name == self.current))
            .collect()
    }
}

/// A sponsorship in a line for staff: the need, the sponsor, the rhythm, the periods given,
/// since when, and the period waiting for the sponsor's answer.
pub fn sponsorship_line(t: Tr, v: &crate::services::sponsorships::SponsorshipView) -> String {
    let every = t.get(if v.recurrence == crate::domain::Recurrence::Weekly {
        "sponsorship.weekly"
    } else {
        "sponsorship.monthly"
    });
    let mut line = t.fill(
        "sponsorship.line",
        &[
            ("title", &v.title),
            ("merchant", &v.merchant_name),
            ("every", every),
            ("quantity", &v.quantity.to_string()),
            ("unit", &v.unit),
            ("periods", &v.periods.to_string()),
            ("since", &crate::domain::time::local_date(v.started_at).to_string()),
        ],
    );
    if let Some(offer) = &v.offer {
        line.push_str(" · ");
        line.push_str(&t.fill("sponsorship.waiting", &[("until", &local_time(offer.until))]));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_owner_sees_only_the_tabs_it_may_open() {
        let all = CaseTabs::new(7, "ledger").links();
        assert_eq!(all.len(), 4);
        let history = CaseTabs::of_history(7, "ledger", true).links();
        let paths: Vec<&str> = history.iter().map(|(href, _, _)| href.as_str()).collect();
        assert_eq!(paths, ["/beneficiaries/7/ledger", "/beneficiaries/7/visits"]);
        assert!(history[0].2, "the ledger is the tab shown");
        assert_eq!(CaseTabs::of_history(7, "visits", false).links().len(), 4);
    }
}
