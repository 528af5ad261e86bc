//! One-on-one sponsorship (一对一): a merchant that claimed a recurring need sponsors every
//! period of it. Each new period is offered to the sponsor first, for a renewal window; an
//! answer after the window is refused, and the period goes to the pool and the alert ladder.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::{ClaimStatus, Locale, Recurrence};

text_enum! {
    /// Where a sponsorship stands.
    SponsorshipStatus, "sponsorship status" {
        Active => ("active", "资助中", "Active"),
        Ended => ("ended", "已结束", "Ended"),
    }
}

text_enum! {
    /// Why a sponsorship ended.
    SponsorshipEnd, "sponsorship end" {
        MerchantStopped => ("merchant_stopped", "商户停止了资助", "The merchant stopped"),
        WorkerEnded => ("worker_ended", "社工结束了资助", "Ended by the social worker"),
        SeriesEnded => ("series_ended", "周期需求已停止", "The recurring need was stopped"),
        CaseClosed => ("case_closed", "个案已结案", "The case was closed"),
        Completed => ("completed", "所有周期已完成", "Every period is done"),
    }
}

/// Hours a sponsor has to renew a new period unless `RELAY_SPONSOR_RENEWAL_HOURS` says otherwise.
pub const DEFAULT_RENEWAL_HOURS: u32 = 72;

/// The longest renewal window the configuration accepts (two weeks).
pub const MAX_RENEWAL_HOURS: u32 = 14 * 24;

/// Why a merchant may not sponsor, renew or stop, in words it can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SponsorRefusal {
    /// The need does not recur.
    #[error("the need does not recur")]
    NotRecurring,
    /// Every period of the series is posted already, or the series was stopped.
    #[error("the recurring need has no periods to come")]
    SeriesOver,
    /// Another merchant (or this one) sponsors the series already.
    #[error("the need is sponsored already")]
    AlreadySponsored,
    /// The claim is given up, lapsed or disputed: only a claim that stands can start a sponsorship.
    #[error("the claim does not stand")]
    ClaimNotStanding,
    /// The renewal window closed; the period went to the pool.
    #[error("the renewal window closed")]
    OfferClosed,
}

impl SponsorRefusal {
    /// What the merchant (or the API client) is told.
    pub fn message(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::NotRecurring, Locale::ZhCn) => "这个需求不是周期需求，不能每期资助。",
            (Self::NotRecurring, Locale::En) => "This need does not recur, so it cannot be sponsored every period.",
            (Self::SeriesOver, Locale::ZhCn) => "这个周期需求已经没有后续的期数了。",
            (Self::SeriesOver, Locale::En) => "This recurring need has no periods to come.",
            (Self::AlreadySponsored, Locale::ZhCn) => "这个需求已有商户一对一资助。",
            (Self::AlreadySponsored, Locale::En) => "Another merchant already sponsors this need.",
            (Self::ClaimNotStanding, Locale::ZhCn) => "只有仍然有效的认领才能转为每期资助。",
            (Self::ClaimNotStanding, Locale::En) => "Only a claim that still stands can become a sponsorship.",
            (Self::OfferClosed, Locale::ZhCn) => "续期时间已过，这一期已发布给其他商户。",
            (Self::OfferClosed, Locale::En) => "The time to renew has passed; this period went to other merchants.",
        }
    }
}

/// Whether a merchant holding a claim in `claim` on period `index` of a series running to
/// `total` (`None`: until stopped) may sponsor it, when `sponsored` says whether someone does.
pub fn may_sponsor(
    recurrence: Recurrence,
    claim: ClaimStatus,
    index: i32,
    total: Option<i32>,
    sponsored: bool,
) -> Result<(), SponsorRefusal> {
    if recurrence == Recurrence::Once {
        return Err(SponsorRefusal::NotRecurring);
    }
    if !matches!(
        claim,
        ClaimStatus::Active | ClaimStatus::Delivered | ClaimStatus::Confirmed
    ) {
        return Err(SponsorRefusal::ClaimNotStanding);
    }
    if total.is_some_and(|total| index >= total) {
        return Err(SponsorRefusal::SeriesOver);
    }
    if sponsored {
        return Err(SponsorRefusal::AlreadySponsored);
    }
    Ok(())
}

/// When a renewal offer made at `now` closes.
pub fn offer_until(now: DateTime<Utc>, renewal_hours: u32) -> DateTime<Utc> {
    now + Duration::hours(i64::from(renewal_hours))
}

/// Whether an offer closing at `until` may still be answered at `now`.
pub fn offer_open(until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < until
}

/// How much each period's claim takes: what the sponsor claimed, never more than a period holds.
pub fn period_quantity(sponsored: i32, period_quantity: i32) -> i32 {
    sponsored.min(period_quantity)
}

/// The period a deadline falls in, as people name it: "2027年1月" / "January 2027" for a
/// monthly need, the week's first day for a weekly one.
pub fn period_label(recurrence: Recurrence, deadline: NaiveDate, locale: Locale) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    match (recurrence, locale) {
        (Recurrence::Weekly, Locale::ZhCn) => {
            let monday = deadline.week(chrono::Weekday::Mon).first_day();
            format!("{}月{}日这一周", monday.month(), monday.day())
        }
        (Recurrence::Weekly, Locale::En) => {
            let monday = deadline.week(chrono::Weekday::Mon).first_day();
            format!("the week of {} {}", MONTHS[monday.month0() as usize], monday.day())
        }
        (_, Locale::ZhCn) => format!("{}年{}月", deadline.year(), deadline.month()),
        (_, Locale::En) => format!("{} {}", MONTHS[deadline.month0() as usize], deadline.year()),
    }
}

/// A sponsorship as the reports count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorshipFact {
    /// The person sponsored.
    pub beneficiary_id: i64,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When and why it ended, if it did.
    pub ended: Option<(DateTime<Utc>, SponsorshipEnd)>,
}

/// One period a sponsor claimed, as the reports count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodFact {
    /// The period's deadline.
    pub deadline: NaiveDate,
    /// The local day the sponsor said it delivered, if it did and the delivery stands.
    pub delivered_on: Option<NaiveDate>,
}

/// The sponsorship figures of a reporting period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SponsorshipFigures {
    /// People sponsored at some time in the period.
    pub people: usize,
    /// Sponsorships active at the period's end.
    pub active: usize,
    /// Sponsored periods whose deadline fell in the period (up to today).
    pub periods_due: usize,
    /// Of those, delivered by their deadline.
    pub on_time: usize,
    /// Sponsorships that ended in the period, by reason (every reason, zeros included).
    pub ended: Vec<(SponsorshipEnd, usize)>,
}

impl SponsorshipFigures {
    /// The share of periods delivered on time, in whole percent; `None` before any was due.
    pub fn on_time_percent(&self) -> Option<usize> {
        (self.periods_due > 0).then(|| self.on_time * 100 / self.periods_due)
    }

    /// How many ended, whatever the reason.
    pub fn ended_total(&self) -> usize {
        self.ended.iter().map(|(_, n)| n).sum()
    }
}

/// Counts the sponsorships and sponsored periods of the period from `since` to `now`.
pub fn figures(
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    sponsorships: &[SponsorshipFact],
    periods: &[PeriodFact],
) -> SponsorshipFigures {
    let during = |s: &&SponsorshipFact| s.started_at <= now && s.ended.is_none_or(|(at, _)| at >= since);
    let people: std::collections::BTreeSet<i64> =
        sponsorships.iter().filter(during).map(|s| s.beneficiary_id).collect();
    let (first, today) = (since.date_naive(), now.date_naive());
    let due: Vec<&PeriodFact> = periods
        .iter()
        .filter(|p| p.deadline >= first && p.deadline <= today)
        .collect();
    SponsorshipFigures {
        people: people.len(),
        active: sponsorships.iter().filter(|s| s.ended.is_none()).count(),
        periods_due: due.len(),
        on_time: due
            .iter()
            .filter(|p| p.delivered_on.is_some_and(|d| d <= p.deadline))
            .count(),
        ended: SponsorshipEnd::ALL
            .iter()
            .map(|why| {
                let n = sponsorships
                    .iter()
                    .filter(|s| s.ended.is_some_and(|(at, r)| r == *why && at >= since && at <= now))
                    .count();
                (*why, n)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_standing_claim_on_a_series_with_periods_to_come_and_no_sponsor_may_sponsor() {
        let monthly = Recurrence::Monthly;
        assert_eq!(may_sponsor(monthly, ClaimStatus::Active, 1, Some(3), false), Ok(()));
        assert_eq!(may_sponsor(monthly, ClaimStatus::Confirmed, 2, None, false), Ok(()));
        assert_eq!(
            may_sponsor(Recurrence::Once, ClaimStatus::Active, 1, None, false),
            Err(SponsorRefusal::NotRecurring)
        );
        assert_eq!(
            may_sponsor(monthly, ClaimStatus::Released, 1, None, false),
            Err(SponsorRefusal::ClaimNotStanding)
        );
        assert_eq!(
            may_sponsor(monthly, ClaimStatus::Active, 3, Some(3), false),
            Err(SponsorRefusal::SeriesOver)
        );
        assert_eq!(
            may_sponsor(monthly, ClaimStatus::Active, 1, Some(3), true),
            Err(SponsorRefusal::AlreadySponsored)
        );
    }

    #[test]
    fn an_offer_is_open_until_its_window_closes_and_not_a_moment_after() {
        let now = DateTime::parse_from_rfc3339("2027-01-28T08:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let until = offer_until(now, DEFAULT_RENEWAL_HOURS);
        assert_eq!(until - now, Duration::hours(72));
        assert!(offer_open(until, now));
        assert!(offer_open(until, until - Duration::seconds(1)));
        assert!(!offer_open(until, until));
    }

    #[test]
    fn each_period_claims_what_the_sponsor_claimed_but_never_more_than_the_period_holds() {
        assert_eq!(period_quantity(2, 3), 2);
        assert_eq!(period_quantity(5, 3), 3);
    }

    #[test]
    fn the_figures_count_people_once_periods_due_so_far_and_endings_by_reason() {
        let at = |d: &str| {
            DateTime::parse_from_rfc3339(&format!("{d}T12:00:00Z"))
                .expect("time")
                .with_timezone(&Utc)
        };
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("day");
        let sponsorships = [
            SponsorshipFact {
                beneficiary_id: 1,
                started_at: at("2027-01-02"),
                ended: None,
            },
            // The same person again, after an earlier sponsor stopped: counted once.
            SponsorshipFact {
                beneficiary_id: 1,
                started_at: at("2026-10-01"),
                ended: Some((at("2027-01-01"), SponsorshipEnd::MerchantStopped)),
            },
            // Ended before the period: not counted.
            SponsorshipFact {
                beneficiary_id: 2,
                started_at: at("2026-06-01"),
                ended: Some((at("2026-09-01"), SponsorshipEnd::WorkerEnded)),
            },
        ];
        let periods = [
            PeriodFact {
                deadline: day("2027-01-31"),
                delivered_on: Some(day("2027-01-30")),
            },
            PeriodFact {
                deadline: day("2027-02-28"),
                delivered_on: Some(day("2027-03-01")),
            },
            // Not due yet.
            PeriodFact {
                deadline: day("2027-03-31"),
                delivered_on: None,
            },
        ];
        let f = figures(at("2026-12-01"), at("2027-03-10"), &sponsorships, &periods);
        assert_eq!((f.people, f.active, f.periods_due, f.on_time), (1, 1, 2, 1));
        assert_eq!(f.on_time_percent(), Some(50));
        assert_eq!(f.ended_total(), 1);
        assert!(f.ended.contains(&(SponsorshipEnd::MerchantStopped, 1)));
        assert!(f.ended.contains(&(SponsorshipEnd::WorkerEnded, 0)));
        assert_eq!(
            figures(at("2026-12-01"), at("2026-12-02"), &[], &[]).on_time_percent(),
            None
        );
    }

    #[test]
    fn periods_are_named_as_people_name_them() {
        let day = NaiveDate::from_ymd_opt(2027, 1, 31).expect("day");
        assert_eq!(period_label(Recurrence::Monthly, day, Locale::ZhCn), "2027年1月");
        assert_eq!(period_label(Recurrence::Monthly, day, Locale::En), "January 2027");
        assert_eq!(period_label(Recurrence::Weekly, day, Locale::ZhCn), "1月25日这一周");
        assert_eq!(
            period_label(Recurrence::Weekly, day, Locale::En),
            "the week of January 25"
        );
    }
}
