//! Needs and claims: their states, urgency and recurrence.

use chrono::{Days, Months, NaiveDate};

text_enum! {
    /// Where a need stands (DESIGN.md).
    NeedStatus, "need status" {
        Open => ("open", "待认领", "Open"),
        FullyClaimed => ("fully_claimed", "已认领满", "Fully claimed"),
        Fulfilled => ("fulfilled", "已完成", "Fulfilled"),
        Cancelled => ("cancelled", "已取消", "Cancelled"),
        Expired => ("expired", "已过期", "Expired"),
    }
}

text_enum! {
    /// How soon help is needed.
    Urgency, "urgency" {
        Normal => ("normal", "一般", "Normal"),
        Urgent => ("urgent", "紧急", "Urgent"),
    }
}

text_enum! {
    /// Whether a need comes back.
    Recurrence, "recurrence" {
        Once => ("none", "一次性", "One-off"),
        Weekly => ("weekly", "每周", "Weekly"),
        Monthly => ("monthly", "每月", "Monthly"),
    }
}

impl Recurrence {
    /// The fewest and most periods a recurring need may be posted for.
    pub const PERIODS: (i32, i32) = (1, 24);

    /// Days before a period begins that its occurrence is posted. As long as the sponsor's
    /// default renewal window (72 hours), so a declined or unanswered offer reaches the pool
    /// as the period begins.
    pub const POST_AHEAD_DAYS: i64 = 3;

    /// The deadline of period `index` (from 1) of a series whose first period is due on `first`:
    /// whole weeks or calendar months later, counted from the first so that 31 January gives
    /// 28 February and then 31 March. `None` for a one-off need or past the calendar.
    pub fn deadline_of(self, first: NaiveDate, index: i32) -> Option<NaiveDate> {
        let after = u32::try_from(index.checked_sub(1)?).ok()?;
        match self {
            Recurrence::Once => None,
            Recurrence::Weekly => first.checked_add_days(Days::new(7 * u64::from(after))),
            Recurrence::Monthly => first.checked_add_months(Months::new(after)),
        }
    }

    /// Whether the occurrence after period `index` (of `total`, `None`: until stopped), due on
    /// `deadline`, is to be posted on `today`.
    pub fn next_due(self, index: i32, total: Option<i32>, deadline: NaiveDate, today: NaiveDate) -> bool {
        self != Recurrence::Once
            && total.is_none_or(|total| index < total)
            && today >= deadline - chrono::Duration::days(Self::POST_AHEAD_DAYS)
    }
}

/// A move the rules forbid, named so the caller can explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} that is {from} cannot be {action}")]
pub struct IllegalTransition {
    /// "need", "claim" or "merchant application".
    pub kind: &'static str,
    /// The current status.
    pub from: &'static str,
    /// What was attempted, as a past participle ("claimed", "cancelled").
    pub action: &'static str,
}

/// Why a claim of some quantity of a need is refused by the need itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefusal {
    /// Less is left than asked for.
    #[error("only {left} left")]
    NotEnoughLeft {
        /// Quantity still unclaimed.
        left: i32,
    },
    /// The need is not open.
    #[error("the need is {0}")]
    NeedNotOpen(NeedStatus),
    /// Zero or a negative quantity.
    #[error("the quantity must be at least 1")]
    QuantityTooSmall,
}

/// The counters of a need and the status they imply. The services change the stored
/// counters with conditional SQL that mirrors these functions exactly; property tests
/// hold these functions to the invariants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedCounters {
    /// Units asked for.
    pub quantity: i32,
    /// Units held by live claims.
    pub claimed: i32,
    /// Units confirmed delivered.
    pub delivered: i32,
    /// Where the need stands.
    pub status: NeedStatus,
}

impl NeedCounters {
    /// A newly posted need.
    pub fn new(quantity: i32) -> Self {
        Self {
            quantity,
            claimed: 0,
            delivered: 0,
            status: NeedStatus::Open,
        }
    }

    /// Units not yet claimed.
    pub fn left(&self) -> i32 {
        self.quantity - self.claimed
    }

    /// A merchant claims `q` units: only of an open need, only what is left.
    pub fn claim(self, q: i32) -> Result<Self, ClaimRefusal> {
        if q < 1 {
            return Err(ClaimRefusal::QuantityTooSmall);
        }
        if self.status != NeedStatus::Open {
            return Err(ClaimRefusal::NeedNotOpen(self.status));
        }
        if self.left() < q {
            return Err(ClaimRefusal::NotEnoughLeft { left: self.left() });
        }
        let claimed = self.claimed + q;
        let status = if claimed == self.quantity {
            NeedStatus::FullyClaimed
        } else {
            NeedStatus::Open
        };
        Ok(Self {
            claimed,
            status,
            ..self
        })
    }

    /// A live, unconfirmed claim of `q` units ends (released, lapsed, or ended by a
    /// cancellation): the units return and a fully claimed need reopens.
    pub fn give_back(self, q: i32) -> Self {
        let claimed = self.claimed - q;
        let status = if self.status == NeedStatus::FullyClaimed {
            NeedStatus::Open
        } else {
            self.status
        };
        Self {
            claimed,
            status,
            ..self
        }
    }

    /// A social worker confirms `q` delivered units; all of them confirmed fulfils the need.
    pub fn confirm_delivery(self, q: i32) -> Self {
        let delivered = self.delivered + q;
        let fulfilled =
            delivered == self.quantity && matches!(self.status, NeedStatus::Open | NeedStatus::FullyClaimed);
        Self {
            delivered,
            status: if fulfilled { NeedStatus::Fulfilled } else { self.status },
            ..self
        }
    }

    /// The social worker cancels the need (its active claims are then given back).
    pub fn cancel(self) -> Result<Self, IllegalTransition> {
        self.end(NeedStatus::Cancelled, "cancelled")
    }

    /// The deadline passed before the need was fully claimed.
    pub fn expire(self) -> Result<Self, IllegalTransition> {
        if self.status != NeedStatus::Open {
            return Err(IllegalTransition {
                kind: "need",
                from: self.status.as_str(),
                action: "expired",
            });
        }
        self.end(NeedStatus::Expired, "expired")
    }

    fn end(self, to: NeedStatus, action: &'static str) -> Result<Self, IllegalTransition> {
        match self.status {
            NeedStatus::Open | NeedStatus::FullyClaimed => Ok(Self { status: to, ..self }),
            from => Err(IllegalTransition {
                kind: "need",
                from: from.as_str(),
                action,
            }),
        }
    }

    /// True when the status agrees with the counters (the invariant every change keeps).
    pub fn is_consistent(&self) -> bool {
        let counters_ok = 0 <= self.delivered && self.delivered <= self.claimed && self.claimed <= self.quantity;
        let status_ok = match self.status {
            NeedStatus::Open => self.claimed < self.quantity,
            NeedStatus::FullyClaimed => self.claimed == self.quantity && self.delivered < self.quantity,
            NeedStatus::Fulfilled => self.delivered == self.quantity,
            NeedStatus::Cancelled | NeedStatus::Expired => true,
        };
        counters_ok && status_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn periods_are_counted_from_the_first_deadline() {
        let first = day(2027, 1, 31);
        assert_eq!(Recurrence::Monthly.deadline_of(first, 1), Some(first));
        assert_eq!(Recurrence::Monthly.deadline_of(first, 2), Some(day(2027, 2, 28)));
        assert_eq!(Recurrence::Monthly.deadline_of(first, 3), Some(day(2027, 3, 31)));
        assert_eq!(Recurrence::Weekly.deadline_of(first, 3), Some(day(2027, 2, 14)));
        assert_eq!(Recurrence::Once.deadline_of(first, 2), None);
        assert_eq!(Recurrence::Monthly.deadline_of(first, 0), None);
    }

    #[test]
    fn the_next_occurrence_is_due_three_days_before_its_period_begins_while_periods_remain() {
        let deadline = day(2027, 1, 31);
        let monthly = Recurrence::Monthly;
        assert!(!monthly.next_due(1, None, deadline, day(2027, 1, 27)));
        assert!(monthly.next_due(1, None, deadline, day(2027, 1, 28)));
        assert!(monthly.next_due(1, Some(2), deadline, day(2027, 2, 10)));
        assert!(!monthly.next_due(2, Some(2), deadline, day(2027, 2, 10)));
        assert!(!Recurrence::Once.next_due(1, None, deadline, day(2027, 2, 10)));
    }

    #[test]
    fn claiming_everything_fully_claims_and_giving_back_reopens() {
        let need = NeedCounters::new(10).claim(4).expect("claim 4");
        assert_eq!((need.claimed, need.status), (4, NeedStatus::Open));
        let full = need.claim(6).expect("claim the rest");
        assert_eq!(full.status, NeedStatus::FullyClaimed);
        assert_eq!(full.claim(1), Err(ClaimRefusal::NeedNotOpen(NeedStatus::FullyClaimed)));
        let reopened = full.give_back(6);
        assert_eq!((reopened.claimed, reopened.status), (4, NeedStatus::Open));
    }

    #[test]
    fn claims_never_exceed_what_is_left() {
        let need = NeedCounters::new(3).claim(2).expect("claim");
        assert_eq!(need.claim(2), Err(ClaimRefusal::NotEnoughLeft { left: 1 }));
        assert_eq!(need.claim(0), Err(ClaimRefusal::QuantityTooSmall));
    }

    #[test]
    fn confirming_everything_fulfils() {
        let need = NeedCounters::new(2).claim(2).expect("claim").confirm_delivery(1);
        assert_eq!(need.status, NeedStatus::FullyClaimed);
        assert_eq!(need.confirm_delivery(1).status, NeedStatus::Fulfilled);
    }

    #[test]
    fn only_open_or_fully_claimed_needs_end_and_only_open_ones_expire() {
        let fulfilled = NeedCounters::new(1).claim(1).expect("claim").confirm_delivery(1);
        assert!(fulfilled.cancel().is_err());
        assert!(NeedCounters::new(1).claim(1).expect("claim").expire().is_err());
        assert_eq!(NeedCounters::new(1).expire().map(|n| n.status), Ok(NeedStatus::Expired));
        let cancelled = NeedCounters::new(1).cancel().expect("cancel");
        assert_eq!(
            cancelled.claim(1),
            Err(ClaimRefusal::NeedNotOpen(NeedStatus::Cancelled))
        );
        assert!(cancelled.cancel().is_err());
    }
}
