//! The alert ladder's rules, free of IO: a merchant's notification settings, which
//! merchants a rung alerts, when an alert may reach a merchant, and when a need is flagged
//! to the office as unclaimed and aging.
//!
//! The ladder: a new need goes to the top [`LadderPolicy::rung_size`] merchants by
//! [`super::matching::score`] among approved merchants with a linked chat that are relevant
//! to it ([`super::matching::relevant`]: an offer of its kind or its community served,
//! however urgent or old the need) and whose settings admit it. If it is still not fully
//! claimed [`LadderPolicy::rung_hours`] later, the next ones hear of it, and so on. A rung
//! that finds nobody left ends the ladder and flags the need to the office as unclaimed
//! and aging; a deadline within [`LadderPolicy::near_deadline_hours`] flags it too (and
//! the ladder goes on). A fully claimed need waits a rung and climbs again if a released
//! or lapsed claim reopens it; a closed need's ladder ends.
//!
//! An alert counts against the merchant's daily cap on the local day it is delivered;
//! a merchant at its cap is passed over for that rung (the next rung may reach it). Quiet
//! hours delay an alert to their end; digest mode gathers a day's alerts into one message
//! at [`DIGEST_MINUTE`] (or the end of quiet hours, if it falls in them). With "urgent
//! needs always" on, an urgent need passes the cap, the quiet hours and the digest.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::credit::CreditBand;
use super::time::{MINUTES_A_DAY, local_at, local_date, local_midnight, local_minute};
use super::{Category, NeedStatus};

/// How the ladder climbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LadderPolicy {
    /// Merchants one rung alerts (K).
    pub rung_size: usize,
    /// Hours between rungs (H).
    pub rung_hours: i64,
    /// An open need whose deadline ends within this many hours is flagged.
    pub near_deadline_hours: i64,
}

impl Default for LadderPolicy {
    fn default() -> Self {
        Self {
            rung_size: 5,
            rung_hours: 12,
            near_deadline_hours: 24,
        }
    }
}

/// Alerts a day unless a merchant chooses otherwise.
pub const DEFAULT_DAILY_CAP: u32 = 5;
/// The highest daily cap a merchant may choose.
pub const MAX_DAILY_CAP: u32 = 50;
/// When the daily digest goes out: 18:00 local, after the day's needs are posted.
pub const DIGEST_MINUTE: u16 = 18 * 60;

text_enum! {
    /// How alerts reach a merchant.
    AlertMode, "alert mode" {
        /// Each alert as it comes (after quiet hours).
        Instant => ("instant", "即时推送", "Instant"),
        /// One message a day with the day's alerts.
        Digest => ("digest", "每日汇总", "Daily digest"),
    }
}

text_enum! {
    /// Why the office was told a need is unclaimed and aging.
    FlagReason, "flag reason" {
        /// Every relevant merchant has heard of it.
        LadderExhausted => ("ladder_exhausted", "已无其他合适商户可提醒", "No merchant left to alert"),
        /// Its deadline is near.
        NearDeadline => ("near_deadline", "临近截止日期", "Deadline near"),
    }
}

/// A setting that cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The cap is out of range.
    #[error("the daily cap must be a whole number from 1 to {MAX_DAILY_CAP}")]
    DailyCap,
    /// A quiet-hours bound is not a time of day, or the start equals the end.
    #[error("quiet hours need a start and an end between 00:00 and 23:59 that differ")]
    QuietHours,
}

/// Local hours in which alerts wait: from `start` up to (not including) `end`, wrapping
/// past midnight when `start > end` (22:00–08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: u16,
    end: u16,
}

impl QuietHours {
    /// 22:00–08:00.
    pub const DEFAULT: QuietHours = QuietHours {
        start: 22 * 60,
        end: 8 * 60,
    };

    /// Quiet hours from `start` to `end`, in minutes after local midnight.
    pub fn new(start: u16, end: u16) -> Result<Self, SettingsError> {
        if start >= MINUTES_A_DAY || end >= MINUTES_A_DAY || start == end {
            return Err(SettingsError::QuietHours);
        }
        Ok(Self { start, end })
    }

    /// Minutes after local midnight they start.
    pub fn start(self) -> u16 {
        self.start
    }

    /// Minutes after local midnight they end.
    pub fn end(self) -> u16 {
        self.end
    }

    fn contains(self, minute: u16) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }

    /// `t` itself when it is outside the quiet hours, otherwise the instant they end.
    pub fn next_open(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let minute = local_minute(t);
        if !self.contains(minute) {
            return t;
        }
        let today = local_date(t);
        // Past midnight within wrapping hours, or within hours that do not wrap, they end
        // today; before midnight within wrapping hours, tomorrow.
        let ends_on = if self.start > self.end && minute >= self.start {
            today + Duration::days(1)
        } else {
            today
        };
        local_at(ends_on, self.end)
    }
}

/// How a merchant wants to hear of needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// Categories of interest, in [`Category::ALL`] order; empty means all.
    pub categories: Vec<Category>,
    /// Community ids of interest, ascending; empty means all.
    pub communities: Vec<i64>,
    /// Most alerts a local day.
    pub daily_cap: u32,
    /// When alerts wait; `None` for never.
    pub quiet_hours: Option<QuietHours>,
    /// Instant or a daily digest.
    pub mode: AlertMode,
    /// True when urgent needs pass the cap, the quiet hours and the digest.
    pub urgent_always: bool,
    /// True to hear of needs of the district's other subdistricts too (own subdistrict only
    /// by default).
    pub other_subdistricts: bool,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            categories: Vec::new(),
            communities: Vec::new(),
            daily_cap: DEFAULT_DAILY_CAP,
            quiet_hours: Some(QuietHours::DEFAULT),
            mode: AlertMode::Instant,
            // Off: a shopkeeper is not woken at night unless it asked to be.
            urgent_always: false,
            other_subdistricts: false,
        }
    }
}

/// One change a merchant makes to its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsChange {
    /// Adds or removes a category of interest.
    ToggleCategory(Category),
    /// Every category again.
    AllCategories,
    /// Adds or removes a community of interest.
    ToggleCommunity(i64),
    /// Every community again.
    AllCommunities,
    /// A new daily cap.
    DailyCap(u32),
    /// New quiet hours, or none.
    QuietHours(Option<QuietHours>),
    /// Instant or digest.
    Mode(AlertMode),
    /// "Urgent needs always" on or off.
    UrgentAlways(bool),
}

impl AlertSettings {
    /// The settings after `change`.
    pub fn apply(&self, change: SettingsChange) -> Result<Self, SettingsError> {
        let mut next = self.clone();
        match change {
            SettingsChange::ToggleCategory(c) => {
                match next.categories.iter().position(|x| *x == c) {
                    Some(at) => {
                        next.categories.remove(at);
                    }
                    None => next.categories.push(c),
                }
                next.categories
                    .sort_by_key(|c| Category::ALL.iter().position(|x| x == c));
            }
            SettingsChange::AllCategories => next.categories.clear(),
            SettingsChange::ToggleCommunity(id) => {
                match next.communities.iter().position(|x| *x == id) {
                    Some(at) => {
                        next.communities.remove(at);
                    }
                    None => next.communities.push(id),
                }
                next.communities.sort_unstable();
            }
            SettingsChange::AllCommunities => next.communities.clear(),
            SettingsChange::DailyCap(cap) => {
                if !(1..=MAX_DAILY_CAP).contains(&cap) {
                    return Err(SettingsError::DailyCap);
                }
                next.daily_cap = cap;
            }
            SettingsChange::QuietHours(quiet) => next.quiet_hours = quiet,
            SettingsChange::Mode(mode) => next.mode = mode,
            SettingsChange::UrgentAlways(on) => next.urgent_always = on,
        }
        Ok(next)
    }

    /// True when the merchant wants to hear of needs of `category` in `community_id`.
    pub fn admits(&self, category: Category, community_id: i64) -> bool {
        (self.categories.is_empty() || self.categories.contains(&category))
            && (self.communities.is_empty() || self.communities.contains(&community_id))
    }
}

/// When and how one alert reaches a merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Instant (its own message) or part of a digest.
    pub mode: AlertMode,
    /// When the merchant hears of it.
    pub deliver_at: DateTime<Utc>,
    /// False when an urgent need passes the cap.
    pub counts_to_cap: bool,
}

/// How an alert of a need (`urgent` or not) posted or climbing at `now` reaches a merchant
/// with `settings`.
pub fn plan(settings: &AlertSettings, urgent: bool, now: DateTime<Utc>) -> Plan {
    if urgent && settings.urgent_always {
        return Plan {
            mode: AlertMode::Instant,
            deliver_at: now,
            counts_to_cap: false,
        };
    }
    let deliver_at = match settings.mode {
        AlertMode::Instant => open_at(settings, now),
        AlertMode::Digest => digest_at(settings, now),
    };
    Plan {
        mode: settings.mode,
        deliver_at,
        counts_to_cap: true,
    }
}

fn open_at(settings: &AlertSettings, t: DateTime<Utc>) -> DateTime<Utc> {
    settings.quiet_hours.map_or(t, |q| q.next_open(t))
}

/// When the digest that an alert chosen at `now` joins goes out: the next 18:00 local, or
/// the end of the quiet hours when 18:00 falls in them.
pub fn digest_at(settings: &AlertSettings, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = local_date(now);
    let mut at = open_at(settings, local_at(today, DIGEST_MINUTE));
    if at < now {
        at = open_at(settings, local_at(today + Duration::days(1), DIGEST_MINUTE));
    }
    at
}

/// A merchant that may hear of a need in this rung, with what its alert would be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The merchant.
    pub merchant_id: i64,
    /// Its [`super::matching::score`] for the need.
    pub score: f64,
    /// True when it is offered the need before the others ([`offered_first`]).
    pub first: bool,
    /// How its alert would reach it.
    pub plan: Plan,
    /// Its daily cap.
    pub daily_cap: u32,
}

/// True when a merchant may be a candidate at all: `relevant` to the need, interested by
/// its settings, and not alerted of it before.
pub fn eligible(
    relevant: bool,
    settings: &AlertSettings,
    category: Category,
    community_id: i64,
    alerted: bool,
) -> bool {
    !alerted && relevant && settings.admits(category, community_id)
}

/// True when a merchant of credit `band` is offered a need (`urgent` or not) before the
/// others: band A merchants hear of urgent needs first (信用结果运用), on the first rungs.
pub fn offered_first(urgent: bool, band: CreditBand) -> bool {
    urgent && band == CreditBand::A
}

/// Those offered the need first ([`Candidate::first`]), then best fit first; equal scores
/// go to the merchant that joined first (lower id), so that the order never depends on how
/// rows came back from the database.
pub fn rank(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| {
        b.first
            .cmp(&a.first)
            .then(b.score.total_cmp(&a.score))
            .then(a.merchant_id.cmp(&b.merchant_id))
    });
}

/// The candidates of a rung, from ranked `candidates`: in order, those below their cap on
/// the day their alert would arrive (`counted(merchant, day)` alerts already counted),
/// at most `room` of them.
pub fn fill_rung(candidates: &[Candidate], room: usize, counted: impl Fn(i64, NaiveDate) -> u32) -> Vec<Candidate> {
    candidates
        .iter()
        .filter(|c| !c.plan.counts_to_cap || counted(c.merchant_id, local_date(c.plan.deliver_at)) < c.daily_cap)
        .take(room)
        .copied()
        .collect()
}

/// What the ladder of a need does when its next rung is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LadderStep {
    /// Alert the next merchants.
    Climb,
    /// Fully claimed for now: look again a rung later, as a released or lapsed claim may
    /// reopen it.
    Wait,
    /// The need is closed: the ladder ends.
    End,
}

/// The step for a need in `status`.
pub fn ladder_step(status: NeedStatus) -> LadderStep {
    match status {
        NeedStatus::Open => LadderStep::Climb,
        NeedStatus::FullyClaimed => LadderStep::Wait,
        NeedStatus::Fulfilled | NeedStatus::Cancelled | NeedStatus::Expired => LadderStep::End,
    }
}

/// When the rung after one at `now` is due.
pub fn next_rung_at(policy: &LadderPolicy, now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::hours(policy.rung_hours)
}

/// The flag a rung raises when `eligible` merchants could still hear of the need: none
/// left means the ladder is exhausted. (Merchants passed over for their cap still count:
/// a later rung may reach them.)
pub fn flag_after_rung(eligible: usize) -> Option<FlagReason> {
    (eligible == 0).then_some(FlagReason::LadderExhausted)
}

/// True when a need whose last useful local day is `deadline` ends within the policy's
/// hours of `now`.
pub fn deadline_near(policy: &LadderPolicy, deadline: NaiveDate, now: DateTime<Utc>) -> bool {
    // The last day chrono knows has no next one; such a deadline (only ever stored before dates were read strictly)
    // is as far off as can be.
    deadline
        .succ_opt()
        .is_some_and(|next| local_midnight(next) - now <= Duration::hours(policy.near_deadline_hours))
}

/// The latest deadline that is near at `now`: a need with this deadline or an earlier one
/// is flagged (for a query; agrees with [`deadline_near`]).
pub fn near_deadline_cutoff(policy: &LadderPolicy, now: DateTime<Utc>) -> NaiveDate {
    // The day ends at the next local midnight, which is at or before now + h exactly when
    // the day after it is at most the local date of now + h.
    local_date(now + Duration::hours(policy.near_deadline_hours)) - Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    /// `hh:mm` local time on 1 December 2026, as UTC.
    fn local(hh: u32, mm: u32) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        local_at(date, (hh * 60 + mm) as u16)
    }

    #[test]
    fn quiet_hours_that_wrap_midnight_end_the_next_morning() {
        let q = QuietHours::DEFAULT;
        assert_eq!(q.next_open(local(23, 0)), local(8, 0) + Duration::days(1));
        assert_eq!(q.next_open(local(22, 0)), local(8, 0) + Duration::days(1));
        assert_eq!(q.next_open(local(3, 15)), local(8, 0));
        assert_eq!(q.next_open(local(7, 59)), local(8, 0));
        assert_eq!(q.next_open(local(8, 0)), local(8, 0));
        assert_eq!(q.next_open(local(21, 59)), local(21, 59));
        let lunch = QuietHours::new(12 * 60, 14 * 60).expect("valid");
        assert_eq!(lunch.next_open(local(13, 0)), local(14, 0));
        assert_eq!(lunch.next_open(local(14, 0)), local(14, 0));
        assert_eq!(lunch.next_open(local(11, 0)), local(11, 0));
    }

    #[test]
    fn quiet_hours_must_be_times_of_day_that_differ() {
        assert_eq!(QuietHours::new(600, 600), Err(SettingsError::QuietHours));
        assert_eq!(QuietHours::new(1440, 60), Err(SettingsError::QuietHours));
        assert!(QuietHours::new(0, 1439).is_ok());
    }

    #[test]
    fn an_instant_alert_waits_for_the_end_of_quiet_hours() {
        let s = AlertSettings::default();
        let night = plan(&s, false, local(23, 30));
        assert_eq!(night.deliver_at, local(8, 0) + Duration::days(1));
        assert!(night.counts_to_cap);
        assert_eq!(plan(&s, false, local(10, 0)).deliver_at, local(10, 0));
        let none = s.apply(SettingsChange::QuietHours(None)).expect("valid");
        assert_eq!(plan(&none, false, local(23, 30)).deliver_at, local(23, 30));
    }

    #[test]
    fn urgent_needs_always_pass_quiet_hours_digest_and_cap_only_when_chosen() {
        let mut s = AlertSettings {
            mode: AlertMode::Digest,
            ..AlertSettings::default()
        };
        let waiting = plan(&s, true, local(23, 30));
        assert_eq!(waiting.mode, AlertMode::Digest);
        assert!(waiting.counts_to_cap);
        s.urgent_always = true;
        let now = plan(&s, true, local(23, 30));
        assert_eq!(
            now,
            Plan {
                mode: AlertMode::Instant,
                deliver_at: local(23, 30),
                counts_to_cap: false
            }
        );
        // A normal need still waits for the digest.
        assert_eq!(plan(&s, false, local(23, 30)).mode, AlertMode::Digest);
    }

    #[test]
    fn the_digest_goes_at_six_in_the_evening_or_after_quiet_hours() {
        let s = AlertSettings {
            mode: AlertMode::Digest,
            ..AlertSettings::default()
        };
        assert_eq!(digest_at(&s, local(9, 0)), local(18, 0));
        assert_eq!(digest_at(&s, local(18, 0)), local(18, 0));
        assert_eq!(digest_at(&s, local(18, 1)), local(18, 0) + Duration::days(1));
        let evening_quiet = s
            .apply(SettingsChange::QuietHours(Some(
                QuietHours::new(17 * 60, 20 * 60).expect("valid"),
            )))
            .expect("valid");
        assert_eq!(digest_at(&evening_quiet, local(9, 0)), local(20, 0));
        assert_eq!(
            digest_at(&evening_quiet, local(20, 30)),
            local(20, 0) + Duration::days(1)
        );
    }

    #[test]
    fn settings_toggle_interests_and_refuse_a_cap_out_of_range() {
        let s = AlertSettings::default();
        assert!(s.admits(Category::Clothing, 9));
        let s = s
            .apply(SettingsChange::ToggleCategory(Category::Medicine))
            .and_then(|s| s.apply(SettingsChange::ToggleCategory(Category::Food)))
            .and_then(|s| s.apply(SettingsChange::ToggleCommunity(3)))
            .expect("valid");
        assert_eq!(s.categories, vec![Category::Food, Category::Medicine]);
        assert!(s.admits(Category::Food, 3));
        assert!(!s.admits(Category::Food, 4));
        assert!(!s.admits(Category::Clothing, 3));
        let s = s
            .apply(SettingsChange::ToggleCategory(Category::Food))
            .and_then(|s| s.apply(SettingsChange::AllCommunities))
            .expect("valid");
        assert_eq!(s.categories, vec![Category::Medicine]);
        assert!(s.admits(Category::Medicine, 4));
        assert_eq!(s.apply(SettingsChange::DailyCap(0)), Err(SettingsError::DailyCap));
        assert_eq!(s.apply(SettingsChange::DailyCap(51)), Err(SettingsError::DailyCap));
        assert_eq!(s.apply(SettingsChange::DailyCap(50)).map(|s| s.daily_cap), Ok(50));
    }

    fn candidate(merchant_id: i64, score: f64, counts_to_cap: bool) -> Candidate {
        Candidate {
            merchant_id,
            score,
            first: false,
            plan: Plan {
                mode: AlertMode::Instant,
                deliver_at: local(10, 0),
                counts_to_cap,
            },
            daily_cap: 5,
        }
    }

    #[test]
    fn a_rung_takes_the_best_below_their_cap() {
        let mut all = vec![
            candidate(4, 50.0, true),
            candidate(1, 70.0, true),
            candidate(3, 70.0, true),
            candidate(2, 90.0, true),
            candidate(5, 40.0, false),
        ];
        rank(&mut all);
        let order: Vec<i64> = all.iter().map(|c| c.merchant_id).collect();
        assert_eq!(order, vec![2, 1, 3, 4, 5], "ties go to the lower id");
        // Merchant 2 and 5 have had five alerts today; 5 passes (urgent, not counted).
        let full = |m: i64, _: NaiveDate| if m == 2 || m == 5 { 5 } else { 0 };
        let picked: Vec<i64> = fill_rung(&all, 3, full).iter().map(|c| c.merchant_id).collect();
        assert_eq!(picked, vec![1, 3, 4]);
        let picked: Vec<i64> = fill_rung(&all, 9, full).iter().map(|c| c.merchant_id).collect();
        assert_eq!(picked, vec![1, 3, 4, 5]);
    }

    #[test]
    fn band_a_merchants_are_offered_urgent_needs_first_and_nothing_else_changes() {
        assert!(offered_first(true, CreditBand::A));
        for band in [CreditBand::B, CreditBand::C, CreditBand::D] {
            assert!(!offered_first(true, band));
        }
        for band in CreditBand::ALL {
            assert!(!offered_first(false, *band), "a normal need goes by fit alone");
        }
        let mut all = vec![
            candidate(1, 90.0, true),
            Candidate {
                first: true,
                ..candidate(2, 40.0, true)
            },
            candidate(3, 70.0, true),
            Candidate {
                first: true,
                ..candidate(4, 60.0, true)
            },
        ];
        rank(&mut all);
        let order: Vec<i64> = all.iter().map(|c| c.merchant_id).collect();
        assert_eq!(order, vec![4, 2, 1, 3], "band A first, each group by fit");
        let first_rung: Vec<i64> = fill_rung(&all, 2, |_, _| 0).iter().map(|c| c.merchant_id).collect();
        assert_eq!(first_rung, vec![4, 2]);
    }

    #[test]
    fn an_alert_held_overnight_counts_on_the_day_it_is_delivered() {
        let today = local_date(local(10, 0));
        let mut held = candidate(1, 80.0, true);
        held.plan.deliver_at = local(8, 0) + Duration::days(1);
        let mut now = candidate(2, 70.0, true);
        now.plan.deliver_at = local(23, 0);
        // Both shops are at their cap today and have nothing tomorrow.
        let counted = |_: i64, day: NaiveDate| if day == today { 5 } else { 0 };
        let picked: Vec<i64> = fill_rung(&[held, now], 5, counted)
            .iter()
            .map(|c| c.merchant_id)
            .collect();
        assert_eq!(picked, vec![1], "tomorrow morning's alert fits tomorrow's cap");
    }

    #[test]
    fn only_relevant_interested_merchants_not_yet_alerted_are_eligible() {
        let s = AlertSettings::default();
        assert!(eligible(true, &s, Category::Food, 1, false));
        assert!(!eligible(false, &s, Category::Food, 1, false));
        assert!(!eligible(true, &s, Category::Food, 1, true));
        let picky = s
            .apply(SettingsChange::ToggleCategory(Category::Medicine))
            .expect("valid");
        assert!(!eligible(true, &picky, Category::Food, 1, false));
    }

    #[test]
    fn the_ladder_climbs_while_open_waits_while_fully_claimed_and_ends_when_closed() {
        assert_eq!(ladder_step(NeedStatus::Open), LadderStep::Climb);
        assert_eq!(ladder_step(NeedStatus::FullyClaimed), LadderStep::Wait);
        for closed in [NeedStatus::Fulfilled, NeedStatus::Cancelled, NeedStatus::Expired] {
            assert_eq!(ladder_step(closed), LadderStep::End);
        }
        let policy = LadderPolicy::default();
        assert_eq!(next_rung_at(&policy, local(10, 0)), local(22, 0));
        assert_eq!(flag_after_rung(0), Some(FlagReason::LadderExhausted));
        assert_eq!(flag_after_rung(3), None);
    }

    #[test]
    fn a_deadline_is_near_within_a_day_of_its_end() {
        let policy = LadderPolicy::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let tomorrow = today + Duration::days(1);
        assert!(deadline_near(&policy, today, local(0, 0)));
        assert!(!deadline_near(&policy, tomorrow, local(0, 1)));
        // Tomorrow's deadline ends at the day after's midnight: near from tomorrow 00:00.
        assert!(!deadline_near(&policy, tomorrow, local(23, 59)));
        assert!(deadline_near(&policy, tomorrow, local(0, 0) + Duration::days(1)));
        for now in [local(0, 0), local(9, 30), local(23, 59), utc("2026-12-01T15:59:59Z")] {
            let cutoff = near_deadline_cutoff(&policy, now);
            assert!(deadline_near(&policy, cutoff, now), "{now}");
            assert!(!deadline_near(&policy, cutoff + Duration::days(1), now), "{now}");
        }
    }

    #[test]
    fn the_last_day_chrono_knows_is_a_deadline_far_off_not_an_overflow() {
        // A need posted with the deadline "+262142-12-31" once stopped the job that flags needs near their deadline:
        // SQLite's text comparison put that date before today, and the day after it overflowed.
        let policy = LadderPolicy::default();
        assert!(!deadline_near(&policy, NaiveDate::MAX, local(10, 0)));
    }
}
