//! The demo's case files: relief from outside the relay in the ledgers (微爱1+1: the
//! monthly subsistence allowance, a disability allowance, a one-off temporary grant) and the
//! social workers' visits (探访) — recent ones, and in each organization one person whose
//! visit is overdue (a fortnight past their group's interval), so every dashboard has
//! something to say. Written through
//! the ledger and visit services with a back-dated clock, before the referrals move a case on.

use chrono::{Datelike, Duration, NaiveDate};

use super::Demo;
use super::data::BENEFICIARIES;
use crate::domain::BeneficiaryGroup;
use crate::domain::ledger::EntryInput;
use crate::domain::time::local_date;
use crate::services::visits::VisitInput;
use crate::services::{ServiceError, ledger, visits};

/// The person referred on (see `referrals.rs`): their file is left to the referral's story.
const REFERRED: usize = 8;

/// Seeds the ledgers and visits.
pub(super) async fn seed(demo: &Demo<'_>) -> Result<(), ServiceError> {
    let programmes = ledger::programmes(demo.db).await?;
    let programme = |code: &str| {
        programmes
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.id.to_string())
            .unwrap_or_default()
    };
    let today = local_date(demo.now);
    let mut overdue_in = std::collections::HashSet::new();
    for (index, person) in demo.beneficiaries.iter().enumerate() {
        if index == REFERRED {
            continue;
        }
        let worker = demo.orgs[person.org].worker;
        let group = BENEFICIARIES[index].2;
        // Regular government relief for the last three months, recorded as each month began.
        let regular = match group {
            BeneficiaryGroup::ElderlyAlone | BeneficiaryGroup::LowIncomeFamily => {
                Some(("dibao", "1120", "民政系统月度发放"))
            }
            BeneficiaryGroup::Disabled => Some(("canji", "300", "残联按月发放的生活补贴")),
            _ => None,
        };
        if let Some((code, amount, note)) = regular {
            for months_ago in (1..=3).rev() {
                let Some((from, to)) = month_of(today, months_ago) else {
                    continue;
                };
                let entry = EntryInput {
                    kind: "government".into(),
                    regularity: "regular".into(),
                    form: "money".into(),
                    programme_id: programme(code),
                    amount: amount.into(),
                    period_from: from.to_string(),
                    period_to: to.to_string(),
                    description: note.into(),
                };
                let at = crate::domain::time::local_midnight(from) + Duration::hours(10);
                ledger::add_entry(demo.db, &worker, person.id, &entry, at).await?;
            }
        }
        if group == BeneficiaryGroup::LowIncomeFamily {
            let day = today - Duration::days(40);
            let entry = EntryInput {
                kind: "government".into(),
                regularity: "temporary".into(),
                form: "money".into(),
                programme_id: programme("linshi"),
                amount: "2000".into(),
                period_from: day.to_string(),
                period_to: String::new(),
                description: "家中失火后的临时救助".into(),
            };
            let at = crate::domain::time::local_midnight(day) + Duration::hours(15);
            ledger::add_entry(demo.db, &worker, person.id, &entry, at).await?;
        }

        // Visits: a phone call some weeks back, then a home visit; each organization's first
        // person was last visited a fortnight past their group's interval (overdue).
        let late = crate::domain::visits::default_interval(group) + 15;
        let days: Vec<(i64, &str)> = if overdue_in.insert(person.org) {
            vec![(late, "home")]
        } else {
            vec![(50, "phone"), (20, "home")]
        };
        for (days_ago, mode) in days {
            let day = today - Duration::days(days_ago);
            let (notes, found) = if mode == "home" {
                (
                    "身体状况稳定，家中存粮不多，冰箱基本是空的；说起想念在外地工作的孩子。",
                    "米面油、冬衣",
                )
            } else {
                ("电话里精神不错，提到最近腿脚不便，下楼买菜困难。", "送菜上门")
            };
            let visit = VisitInput {
                visited_on: day.to_string(),
                mode: mode.into(),
                visitors: "社工和一名志愿者".into(),
                notes: notes.into(),
                needs_found: found.into(),
            };
            let at = crate::domain::time::local_midnight(day) + Duration::hours(16);
            visits::log_visit(demo.db, demo.secret, &worker, person.id, &visit, at).await?;
        }
    }
    Ok(())
}

/// The first and last day of the month `months_ago` before the month of `today`.
fn month_of(today: NaiveDate, months_ago: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = today.with_day(1)?.checked_sub_months(chrono::Months::new(months_ago))?;
    let last = first.checked_add_months(chrono::Months::new(1))? - Duration::days(1);
    Some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_ago_is_the_whole_calendar_month_before() {
        let today = NaiveDate::from_ymd_opt(2027, 3, 31).expect("day");
        let (from, to) = month_of(today, 1).expect("month");
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2027-02-01".into(), "2027-02-28".into())
        );
    }
}
