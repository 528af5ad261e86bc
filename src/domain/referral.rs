//! Referral (转介): one organization asks another to take a case over. The case's owners over
//! time form its custody; an accepted referral moves the custody, a declined or withdrawn one
//! leaves it. Who may see which part of a case's history follows from the custody alone.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use super::time::{local_date, local_midnight};

text_enum! {
    /// Where a referral stands.
    ReferralStatus, "referral status" {
        /// Sent; the receiving organization has not answered.
        Pending => ("pending", "待对方答复", "Waiting for an answer"),
        /// Taken over: the case, its open needs and its future ledger moved.
        Accepted => ("accepted", "已接收", "Accepted"),
        /// Refused with a reason: the case stayed.
        Declined => ("declined", "已婉拒", "Declined"),
        /// Taken back by the sender (or the case moved or closed before an answer).
        Withdrawn => ("withdrawn", "已撤回", "Withdrawn"),
    }
}

text_enum! {
    /// Why a receiving organization declined, for the office's reports.
    DeclineReason, "decline reason" {
        OutOfScope => ("out_of_scope", "不在本机构服务范围", "Outside the services we provide"),
        NoCapacity => ("no_capacity", "目前没有服务名额", "No capacity at present"),
        OutOfArea => ("out_of_area", "不在本机构服务的社区", "Not in a community we serve"),
        NeedsMoreInformation => ("needs_more_information", "转介信息不足", "Not enough information to take it on"),
        Other => ("other", "其他原因", "Another reason"),
    }
}

/// Why a referral cannot be made or answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferralRefusal {
    /// A case cannot be referred to the organization that has it.
    #[error("the case is already with this organization")]
    ToItself,
    /// Only the organization that has the case (or the office) may refer it.
    #[error("only the organization that has the case may refer it")]
    NotTheOwner,
    /// The referral was answered or withdrawn already.
    #[error("this referral was already answered or withdrawn")]
    NotPending,
    /// The case moved since the referral was sent: the sender no longer has it.
    #[error("the case moved to another organization since this referral was sent")]
    CaseMoved,
    /// A move is dated before the last one (clocks never run back in the custody).
    #[error("a move cannot be dated before the case's last move")]
    BeforeLastMove,
    /// The case is closed: it is neither referred nor taken over.
    #[error("the case is closed")]
    CaseClosed,
}

impl ReferralRefusal {
    /// What to tell the person, in `locale`.
    pub fn message(self, locale: super::Locale) -> &'static str {
        let zh = locale == super::Locale::ZhCn;
        match (self, zh) {
            (Self::ToItself, true) => "个案已在这家机构，不能转介给它自己。",
            (Self::ToItself, false) => "The case is already with this organization; choose another one.",
            (Self::NotTheOwner, true) => "只有目前负责该个案的机构（或街道办）可以转介。",
            (Self::NotTheOwner, false) => "Only the organization that has the case (or the office) can refer it.",
            (Self::NotPending, true) => "这条转介已经答复或撤回，无需再处理。",
            (Self::NotPending, false) => "This referral was already answered or withdrawn; nothing more to do.",
            (Self::CaseMoved, true) => "发出这条转介后，个案已转到其他机构，这条转介不能再接收。",
            (Self::CaseMoved, false) => {
                "The case moved to another organization after this referral was sent; it can no longer be accepted."
            }
            (Self::BeforeLastMove, true) => "时间早于个案的上一次转移，无法记录。",
            (Self::BeforeLastMove, false) => "This is dated before the case's last move and cannot be recorded.",
            (Self::CaseClosed, true) => "个案已结案，不能转介或接收；如需继续帮扶，请先重新开案。",
            (Self::CaseClosed, false) => {
                "The case is closed: it cannot be referred or taken over. Reopen it first if the help goes on."
            }
        }
    }
}

/// One organization's time with a case: from `from` until `until` (open while it has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The organization.
    pub organization_id: i64,
    /// When it got the case (registration or an accepted referral).
    pub from: DateTime<Utc>,
    /// When the case moved on, if it did.
    pub until: Option<DateTime<Utc>>,
}

/// What of a case's history an organization may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryAccess {
    /// The organization has the case: all of it.
    All,
    /// It had the case and handed it on: what was recorded before it last did.
    Until(DateTime<Utc>),
    /// It never had the case.
    None,
}

impl HistoryAccess {
    /// Whether a record made at `at` is readable.
    pub fn allows(self, at: DateTime<Utc>) -> bool {
        match self {
            HistoryAccess::All => true,
            HistoryAccess::Until(end) => at < end,
            HistoryAccess::None => false,
        }
    }
}

/// The owners of one case over time, oldest first; exactly one segment is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Custody {
    segments: Vec<Segment>,
}

impl Custody {
    /// A case registered by `organization_id` at `at`.
    pub fn new(organization_id: i64, at: DateTime<Utc>) -> Self {
        Self {
            segments: vec![Segment {
                organization_id,
                from: at,
                until: None,
            }],
        }
    }

    /// Rebuilds a custody from stored segments (oldest first). `None` if they do not form
    /// one: empty, not contiguous, or not exactly the last one open.
    pub fn from_segments(segments: Vec<Segment>) -> Option<Self> {
        let (last, earlier) = segments.split_last()?;
        let closed_in_order = earlier
            .iter()
            .zip(segments.iter().skip(1))
            .all(|(a, b)| a.until == Some(b.from) && a.from <= b.from);
        (last.until.is_none() && closed_in_order).then_some(Self { segments })
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The organization that has the case now.
    pub fn owner(&self) -> i64 {
        self.segments.last().map_or(0, |s| s.organization_id)
    }

    /// The organization that had the case at `at`, if it existed then.
    pub fn owner_at(&self, at: DateTime<Utc>) -> Option<i64> {
        self.segments
            .iter()
            .find(|s| s.from <= at && s.until.is_none_or(|until| at < until))
            .map(|s| s.organization_id)
    }

    /// Moves the case to `to` at `at` (an accepted referral).
    pub fn transfer(&mut self, to: i64, at: DateTime<Utc>) -> Result<(), ReferralRefusal> {
        let last = self.segments.last_mut().ok_or(ReferralRefusal::NotTheOwner)?;
        if last.organization_id == to {
            return Err(ReferralRefusal::ToItself);
        }
        if at < last.from {
            return Err(ReferralRefusal::BeforeLastMove);
        }
        last.until = Some(at);
        self.segments.push(Segment {
            organization_id: to,
            from: at,
            until: None,
        });
        Ok(())
    }

    /// What `organization_id` may read of the case's history.
    pub fn access(&self, organization_id: i64) -> HistoryAccess {
        if self.owner() == organization_id {
            return HistoryAccess::All;
        }
        self.segments
            .iter()
            .filter(|s| s.organization_id == organization_id)
            .filter_map(|s| s.until)
            .max()
            .map_or(HistoryAccess::None, HistoryAccess::Until)
    }
}

/// Checks that `from` may refer a case owned by `owner` to `to`.
pub fn check_referral(owner: i64, from: i64, to: i64) -> Result<(), ReferralRefusal> {
    if from != owner {
        return Err(ReferralRefusal::NotTheOwner);
    }
    if to == owner {
        return Err(ReferralRefusal::ToItself);
    }
    Ok(())
}

/// Checks that a referral sent by `sent_by` in state `status` may be answered while the case
/// is with `owner`.
pub fn check_answer(status: ReferralStatus, sent_by: i64, owner: i64) -> Result<(), ReferralRefusal> {
    if status != ReferralStatus::Pending {
        return Err(ReferralRefusal::NotPending);
    }
    if sent_by != owner {
        return Err(ReferralRefusal::CaseMoved);
    }
    Ok(())
}

/// How far back referrals count towards "repeatedly referred" (多次转介).
pub const REPEAT_WINDOW_DAYS: i64 = 180;
/// More referrals than this within the window flag the person to the office.
pub const REPEAT_LIMIT: usize = 2;

/// Whether a person referred at `sent` (any order) is repeatedly referred at `now`.
pub fn repeatedly_referred(sent: &[DateTime<Utc>], now: DateTime<Utc>) -> bool {
    let since = now - Duration::days(REPEAT_WINDOW_DAYS);
    sent.iter().filter(|t| **t > since && **t <= now).count() > REPEAT_LIMIT
}

/// The end of the `working_days`-th working day (Monday to Friday, local time) after `sent`:
/// when an unanswered referral is late. Public holidays and their swapped working weekends
/// (调休) are not known here, so a holiday counts as a working day: the reminder comes early,
/// never late.
pub fn answer_due(sent: DateTime<Utc>, working_days: u32) -> DateTime<Utc> {
    let mut day = local_date(sent);
    let mut left = working_days;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    // The due day ends at local midnight after it.
    local_midnight(day.succ_opt().unwrap_or(day))
}

/// One referral as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralFact {
    /// Sender.
    pub from: i64,
    /// Receiver.
    pub to: i64,
    /// Where it stands.
    pub status: ReferralStatus,
    /// Sent at.
    pub sent: DateTime<Utc>,
    /// Answered (or withdrawn) at.
    pub answered: Option<DateTime<Utc>>,
    /// Why it was declined.
    pub declined: Option<DeclineReason>,
}

/// The figures of one pair of organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairFigures {
    /// Referrals sent.
    pub sent: u64,
    /// Accepted.
    pub accepted: u64,
    /// Declined.
    pub declined: u64,
    /// Still waiting.
    pub pending: u64,
    /// Hours from sending to an accept or decline, sorted.
    pub answer_hours: Vec<i64>,
}

impl PairFigures {
    /// Accepted out of those answered, in percent; none before any answer.
    pub fn acceptance_percent(&self) -> Option<u64> {
        let answered = self.accepted + self.declined;
        (answered > 0).then(|| (self.accepted * 100 + answered / 2) / answered)
    }

    /// The median hours to an answer, if any was answered.
    pub fn median_answer_hours(&self) -> Option<i64> {
        let n = self.answer_hours.len();
        (n > 0).then(|| {
            if n % 2 == 1 {
                self.answer_hours[n / 2]
            } else {
                (self.answer_hours[n / 2 - 1] + self.answer_hours[n / 2]) / 2
            }
        })
    }
}

/// The office's referral figures: by (sender, receiver), and the reasons for declining.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralFigures {
    /// By (sender, receiver).
    pub by_pair: std::collections::BTreeMap<(i64, i64), PairFigures>,
    /// How often each reason was given.
    pub declines: std::collections::BTreeMap<DeclineReason, u64>,
}

impl ReferralFigures {
    /// Counts `facts`.
    pub fn compute(facts: &[ReferralFact]) -> Self {
        let mut out = Self::default();
        for f in facts {
            let pair = out.by_pair.entry((f.from, f.to)).or_default();
            pair.sent += 1;
            match f.status {
                ReferralStatus::Accepted => pair.accepted += 1,
                ReferralStatus::Declined => pair.declined += 1,
                ReferralStatus::Pending => pair.pending += 1,
                ReferralStatus::Withdrawn => {}
            }
            if matches!(f.status, ReferralStatus::Accepted | ReferralStatus::Declined)
                && let Some(answered) = f.answered
            {
                pair.answer_hours.push((answered - f.sent).num_hours().max(0));
            }
            if let Some(why) = f.declined {
                *out.declines.entry(why).or_default() += 1;
            }
        }
        for pair in out.by_pair.values_mut() {
            pair.answer_hours.sort_unstable();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn an_accepted_referral_moves_the_case_and_the_sender_keeps_what_came_before() {
        let registered = utc("2026-01-05T02:00:00Z");
        let moved = utc("2026-03-01T02:00:00Z");
        let mut custody = Custody::new(1, registered);
        custody.transfer(2, moved).expect("moves");
        assert_eq!(custody.owner(), 2);
        assert_eq!(custody.owner_at(moved - Duration::seconds(1)), Some(1));
        assert_eq!(custody.owner_at(moved), Some(2));
        assert_eq!(custody.owner_at(registered - Duration::seconds(1)), None);
        assert_eq!(custody.access(1), HistoryAccess::Until(moved));
        assert!(custody.access(1).allows(moved - Duration::seconds(1)));
        assert!(!custody.access(1).allows(moved));
        assert_eq!(custody.access(2), HistoryAccess::All);
        assert_eq!(custody.access(3), HistoryAccess::None);
        assert_eq!(custody.transfer(2, moved), Err(ReferralRefusal::ToItself));
        assert_eq!(
            custody.transfer(3, moved - Duration::days(1)),
            Err(ReferralRefusal::BeforeLastMove)
        );
    }

    #[test]
    fn stored_segments_rebuild_only_a_real_custody() {
        let t0 = utc("2026-01-05T02:00:00Z");
        let t1 = utc("2026-02-05T02:00:00Z");
        let mut custody = Custody::new(1, t0);
        custody.transfer(2, t1).expect("moves");
        assert_eq!(
            Custody::from_segments(custody.segments().to_vec()),
            Some(custody.clone())
        );
        let gap = vec![
            Segment {
                organization_id: 1,
                from: t0,
                until: Some(t0),
            },
            Segment {
                organization_id: 2,
                from: t1,
                until: None,
            },
        ];
        assert_eq!(Custody::from_segments(gap), None);
        let two_open = vec![
            Segment {
                organization_id: 1,
                from: t0,
                until: None,
            },
            Segment {
                organization_id: 2,
                from: t1,
                until: None,
            },
        ];
        assert_eq!(Custody::from_segments(two_open), None);
        assert_eq!(Custody::from_segments(vec![]), None);
    }

    #[test]
    fn only_the_owner_refers_and_only_a_pending_referral_of_the_owner_is_answered() {
        assert_eq!(check_referral(1, 1, 2), Ok(()));
        assert_eq!(check_referral(1, 2, 3), Err(ReferralRefusal::NotTheOwner));
        assert_eq!(check_referral(1, 1, 1), Err(ReferralRefusal::ToItself));
        assert_eq!(check_answer(ReferralStatus::Pending, 1, 1), Ok(()));
        assert_eq!(
            check_answer(ReferralStatus::Accepted, 1, 2),
            Err(ReferralRefusal::NotPending)
        );
        assert_eq!(
            check_answer(ReferralStatus::Declined, 1, 1),
            Err(ReferralRefusal::NotPending)
        );
        assert_eq!(
            check_answer(ReferralStatus::Pending, 1, 3),
            Err(ReferralRefusal::CaseMoved)
        );
    }

    #[test]
    fn a_third_referral_within_180_days_flags_the_person() {
        let now = utc("2026-12-01T02:00:00Z");
        let days_ago = |d: i64| now - Duration::days(d);
        assert!(!repeatedly_referred(&[days_ago(10), days_ago(100)], now));
        assert!(repeatedly_referred(&[days_ago(10), days_ago(100), days_ago(179)], now));
        assert!(!repeatedly_referred(&[days_ago(10), days_ago(100), days_ago(181)], now));
    }

    #[test]
    fn answers_are_due_after_working_days_in_shenzhen() {
        // Thursday 2026-12-03, 10:00 local: three working days are Fri, Mon, Tue; due at the
        // end of Tuesday 2026-12-08 local, that is 16:00 UTC that day.
        let sent = utc("2026-12-03T02:00:00Z");
        assert_eq!(answer_due(sent, 3), utc("2026-12-08T16:00:00Z"));
        // Friday 23:30 local is already Friday: Mon, Tue, Wed.
        assert_eq!(answer_due(utc("2026-12-04T15:30:00Z"), 3), utc("2026-12-09T16:00:00Z"));
        // Sent on a Saturday: Mon, Tue, Wed.
        assert_eq!(answer_due(utc("2026-12-05T02:00:00Z"), 3), utc("2026-12-09T16:00:00Z"));
        assert_eq!(answer_due(sent, 0), utc("2026-12-03T16:00:00Z"));
    }

    #[test]
    fn the_report_counts_pairs_answers_and_reasons() {
        let sent = utc("2026-12-01T02:00:00Z");
        let fact = |to, status, hours: Option<i64>, declined| ReferralFact {
            from: 1,
            to,
            status,
            sent,
            answered: hours.map(|h| sent + Duration::hours(h)),
            declined,
        };
        let figures = ReferralFigures::compute(&[
            fact(2, ReferralStatus::Accepted, Some(10), None),
            fact(2, ReferralStatus::Declined, Some(30), Some(DeclineReason::NoCapacity)),
            fact(2, ReferralStatus::Accepted, Some(20), None),
            fact(2, ReferralStatus::Withdrawn, Some(1), None),
            fact(3, ReferralStatus::Pending, None, None),
        ]);
        let to_2 = &figures.by_pair[&(1, 2)];
        assert_eq!((to_2.sent, to_2.accepted, to_2.declined, to_2.pending), (4, 2, 1, 0));
        assert_eq!(to_2.acceptance_percent(), Some(67));
        assert_eq!(to_2.median_answer_hours(), Some(20), "a withdrawal is no answer");
        let to_3 = &figures.by_pair[&(1, 3)];
        assert_eq!((to_3.acceptance_percent(), to_3.median_answer_hours()), (None, None));
        assert_eq!(figures.declines.get(&DeclineReason::NoCapacity), Some(&1));
    }

    /// What a test does to a case: refer it, answer a referral, or take one back.
    #[derive(Debug, Clone)]
    enum Op {
        Refer { by_owner: bool, to: i64 },
        Accept(usize),
        Decline(usize),
        Withdraw(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<bool>(), 1..5i64).prop_map(|(by_owner, to)| Op::Refer { by_owner, to }),
            3 => any::<usize>().prop_map(Op::Accept),
            2 => any::<usize>().prop_map(Op::Decline),
            1 => any::<usize>().prop_map(Op::Withdraw),
        ]
    }

    proptest! {
        /// Whatever sequence of referrals, accepts and declines: exactly one organization
        /// owns the case at any time, and every earlier owner reads only the history up to
        /// its (last) hand-over.
        #[test]
        fn exactly_one_owner_and_earlier_owners_see_only_their_time(ops in prop::collection::vec(op(), 1..40)) {
            let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("time").with_timezone(&Utc);
            let mut custody = Custody::new(1, start);
            // (sent by, to, status)
            let mut referrals: Vec<(i64, i64, ReferralStatus)> = Vec::new();
            let mut now = start;
            let mut handed_over: Vec<(i64, DateTime<Utc>)> = Vec::new();
            for op in ops {
                now += Duration::hours(7);
                match op {
                    Op::Refer { by_owner, to } => {
                        // The owner (or the office on its behalf) refers; another
                        // organization's attempt is refused.
                        let from = if by_owner { custody.owner() } else { (custody.owner() % 4) + 1 };
                        if check_referral(custody.owner(), from, to).is_ok() {
                            referrals.push((from, to, ReferralStatus::Pending));
                        }
                    }
                    Op::Accept(i) | Op::Decline(i) | Op::Withdraw(i) if !referrals.is_empty() => {
                        let i = i % referrals.len();
                        let (from, to, status) = referrals[i];
                        let answered = check_answer(status, from, custody.owner());
                        if status != ReferralStatus::Pending {
                            prop_assert_eq!(answered, Err(ReferralRefusal::NotPending), "answered twice");
                        }
                        if answered.is_err() {
                            continue;
                        }
                        referrals[i].2 = match op {
                            Op::Accept(_) => {
                                custody.transfer(to, now).expect("a pending referral of the owner moves the case");
                                handed_over.push((from, now));
                                ReferralStatus::Accepted
                            }
                            Op::Decline(_) => ReferralStatus::Declined,
                            _ => ReferralStatus::Withdrawn,
                        };
                    }
                    _ => {}
                }
                let rebuilt = Custody::from_segments(custody.segments().to_vec());
                prop_assert_eq!(rebuilt.as_ref(), Some(&custody), "the stored custody is one");
            }
            // Exactly one owner at every moment since registration, and none before.
            let mut t = start;
            while t <= now {
                let owners: Vec<i64> = custody
                    .segments()
                    .iter()
                    .filter(|s| s.from <= t && s.until.is_none_or(|u| t < u))
                    .map(|s| s.organization_id)
                    .collect();
                prop_assert_eq!(owners.len(), 1, "at {}", t);
                prop_assert_eq!(custody.owner_at(t), owners.first().copied());
                t += Duration::hours(3);
            }
            prop_assert_eq!(custody.owner_at(start - Duration::seconds(1)), None);
            // The owner reads everything; an earlier owner up to its last hand-over; others nothing.
            for org in 1..5i64 {
                let last_handover = handed_over.iter().filter(|(o, _)| *o == org).map(|(_, at)| *at).max();
                let expected = if org == custody.owner() {
                    HistoryAccess::All
                } else {
                    last_handover.map_or(HistoryAccess::None, HistoryAccess::Until)
                };
                prop_assert_eq!(custody.access(org), expected, "organization {}", org);
                if let HistoryAccess::Until(end) = expected {
                    prop_assert!(!custody.access(org).allows(end));
                    prop_assert!(custody.access(org).allows(end - Duration::seconds(1)));
                }
            }
        }
    }
}
