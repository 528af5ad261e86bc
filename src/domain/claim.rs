//! Claims: their states and moves, leases, and the handoff code.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use super::codes::random_code;
use super::need::IllegalTransition;
use super::time::LOCAL_OFFSET;

text_enum! {
    /// Where a claim stands (DESIGN.md).
    ClaimStatus, "claim status" {
        Active => ("active", "进行中", "Active"),
        Delivered => ("delivered", "已送达待确认", "Delivered"),
        Confirmed => ("confirmed", "已确认", "Confirmed"),
        Disputed => ("disputed", "有异议", "Disputed"),
        Released => ("released", "已放弃", "Released"),
        Lapsed => ("lapsed", "已逾期失效", "Lapsed"),
    }
}

/// Something that happens to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimEvent {
    /// The merchant says it delivered.
    MarkDelivered,
    /// The social worker confirms the delivery.
    Confirm,
    /// The social worker says the delivery did not arrive or was not right.
    Dispute,
    /// The merchant takes a disputed claim up again, or the social worker asks it to
    /// deliver again.
    Resume,
    /// The merchant says it delivered again after a dispute, with a note.
    Redeliver,
    /// The merchant gives the claim up.
    Release,
    /// Not delivered by the due date plus grace.
    Lapse,
    /// The need was cancelled or expired while the claim was active.
    EndWithNeed,
}

impl ClaimEvent {
    fn action(self) -> &'static str {
        match self {
            ClaimEvent::MarkDelivered => "marked delivered",
            ClaimEvent::Confirm => "confirmed",
            ClaimEvent::Dispute => "disputed",
            ClaimEvent::Resume => "resumed",
            ClaimEvent::Redeliver => "redelivered",
            ClaimEvent::Release => "released",
            ClaimEvent::Lapse => "lapsed",
            ClaimEvent::EndWithNeed => "ended with its need",
        }
    }
}

impl ClaimStatus {
    /// The status after `event`, or the typed refusal of an illegal move.
    pub fn apply(self, event: ClaimEvent) -> Result<ClaimStatus, IllegalTransition> {
        use ClaimEvent as E;
        use ClaimStatus as S;
        match (self, event) {
            (S::Active, E::MarkDelivered) => Ok(S::Delivered),
            // A disputed delivery may be confirmed after all, once the worker checked it.
            (S::Delivered | S::Disputed, E::Confirm) => Ok(S::Confirmed),
            (S::Delivered, E::Dispute) => Ok(S::Disputed),
            (S::Disputed, E::Resume) => Ok(S::Active),
            (S::Disputed, E::Redeliver) => Ok(S::Delivered),
            (S::Active | S::Disputed, E::Release) => Ok(S::Released),
            (S::Active, E::Lapse) => Ok(S::Lapsed),
            (S::Active, E::EndWithNeed) => Ok(S::Released),
            (from, event) => Err(IllegalTransition {
                kind: "claim",
                from: from.as_str(),
                action: event.action(),
            }),
        }
    }

    /// Claims that count against a merchant's limit: active ones, and disputed ones, which
    /// still await delivery.
    pub const HOLDING: [ClaimStatus; 2] = [ClaimStatus::Active, ClaimStatus::Disputed];

    /// Claims whose goods arrived (said or confirmed): the record counts them on time or late.
    pub const ARRIVED: [ClaimStatus; 2] = [ClaimStatus::Delivered, ClaimStatus::Confirmed];

    /// Claims that ended without a delivery, their units given back to the need.
    pub const GIVEN_BACK: [ClaimStatus; 2] = [ClaimStatus::Released, ClaimStatus::Lapsed];

    /// The live claims: each still holds its quantity of the need.
    pub const LIVE: [ClaimStatus; 4] = [
        ClaimStatus::Active,
        ClaimStatus::Delivered,
        ClaimStatus::Confirmed,
        ClaimStatus::Disputed,
    ];

    /// A live claim still holds its quantity of the need.
    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }

    /// Past its due time and still not delivered (the lapse job ends it after the grace days).
    pub fn is_overdue(self, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self == ClaimStatus::Active && due_at < now
    }
}

/// How a social worker settles a disputed delivery (`POST …/resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeResolution {
    /// It arrived after all (or was made good): confirm it.
    Confirm,
    /// Ask the merchant to deliver again: the claim is active with a fresh due date.
    Redeliver,
    /// End the claim; its quantity goes back to the need for another merchant.
    Release,
}

impl DisputeResolution {
    /// Every resolution, in the order the page offers them.
    pub const ALL: [DisputeResolution; 3] = [
        DisputeResolution::Confirm,
        DisputeResolution::Redeliver,
        DisputeResolution::Release,
    ];

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeResolution::Confirm => "confirm",
            DisputeResolution::Redeliver => "redeliver",
            DisputeResolution::Release => "release",
        }
    }

    /// The resolution a form value names, if any.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value.trim())
    }

    /// The claim event this resolution applies.
    pub fn event(self) -> ClaimEvent {
        match self {
            DisputeResolution::Confirm => ClaimEvent::Confirm,
            DisputeResolution::Redeliver => ClaimEvent::Resume,
            DisputeResolution::Release => ClaimEvent::Release,
        }
    }
}

/// Days a claim is due after it is made, unless the need sets otherwise.
pub const DEFAULT_LEASE_DAYS: i64 = 7;
/// Days after the due date before an undelivered claim lapses.
pub const GRACE_DAYS: i64 = 2;

/// When a claim is due, when to remind, and when it lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// Deliver by then.
    pub due_at: DateTime<Utc>,
    /// Half-time reminder.
    pub remind_at: DateTime<Utc>,
    /// After this the claim lapses.
    pub lapse_at: DateTime<Utc>,
}

impl Lease {
    /// The lease of a claim made at `now` on a need due within `lease_days` and useful
    /// until the end of `deadline` (local time): whichever comes first.
    pub fn new(now: DateTime<Utc>, lease_days: i64, deadline: NaiveDate) -> Self {
        let deadline_end = end_of_local_day(deadline);
        let due_at = (now + Duration::days(lease_days.max(1))).min(deadline_end).max(now);
        Self::from_due(now, due_at)
    }

    /// The lease of a claim made at `made` and due at `due_at`.
    pub fn from_due(made: DateTime<Utc>, due_at: DateTime<Utc>) -> Self {
        let remind_at = made + (due_at - made) / 2;
        Self {
            due_at,
            remind_at,
            lapse_at: due_at + Duration::days(GRACE_DAYS),
        }
    }
}

/// The last second of `date` in the relay's local time (UTC+8, no daylight saving).
pub fn end_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    LOCAL_OFFSET
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
}

/// A new handoff code: 6 characters without look-alikes, shown at the drop-off point.
pub fn new_handoff_code() -> String {
    random_code(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_active_claim_past_its_due_time_is_overdue() {
        let due = chrono::Utc::now();
        let later = due + chrono::Duration::minutes(1);
        assert!(ClaimStatus::Active.is_overdue(due, later));
        assert!(!ClaimStatus::Active.is_overdue(due, due));
        assert!(!ClaimStatus::Delivered.is_overdue(due, later));
        assert!(!ClaimStatus::Disputed.is_overdue(due, later));
    }

    #[test]
    fn the_claim_machine_allows_exactly_the_designed_moves() {
        use ClaimEvent as E;
        use ClaimStatus as S;
        let allowed = [
            (S::Active, E::MarkDelivered, S::Delivered),
            (S::Delivered, E::Confirm, S::Confirmed),
            (S::Disputed, E::Confirm, S::Confirmed),
            (S::Delivered, E::Dispute, S::Disputed),
            (S::Disputed, E::Resume, S::Active),
            (S::Disputed, E::Redeliver, S::Delivered),
            (S::Active, E::Release, S::Released),
            (S::Disputed, E::Release, S::Released),
            (S::Active, E::Lapse, S::Lapsed),
            (S::Active, E::EndWithNeed, S::Released),
        ];
        let events = [
            E::MarkDelivered,
            E::Confirm,
            E::Dispute,
            E::Resume,
            E::Redeliver,
            E::Release,
            E::Lapse,
            E::EndWithNeed,
        ];
        for from in S::ALL {
            for event in events {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| f == from && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.apply(event).ok(), expected, "{from} + {event:?}");
            }
        }
        let err = S::Confirmed.apply(E::Release).expect_err("final");
        assert_eq!(err.to_string(), "a claim that is confirmed cannot be released");
    }

    #[test]
    fn every_resolution_of_a_dispute_leaves_the_disputed_state_and_only_that_one() {
        for r in DisputeResolution::ALL {
            assert_eq!(DisputeResolution::parse(r.as_str()), Some(r));
            let to = ClaimStatus::Disputed
                .apply(r.event())
                .expect("a disputed claim can be resolved");
            assert_ne!(to, ClaimStatus::Disputed);
        }
        assert_eq!(
            ClaimStatus::Disputed.apply(DisputeResolution::Release.event()),
            Ok(ClaimStatus::Released)
        );
        assert_eq!(DisputeResolution::parse("delete"), None);
        assert_eq!(DisputeResolution::parse(""), None);
    }

    #[test]
    fn live_claims_are_those_holding_quantity() {
        let live: Vec<_> = ClaimStatus::ALL.iter().filter(|s| s.is_live()).collect();
        assert_eq!(live.len(), 4);
    }

    #[test]
    fn a_lease_is_due_after_n_days_but_never_after_the_deadline() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).single().expect("time");
        let far = NaiveDate::from_ymd_opt(2027, 1, 31).expect("date");
        let lease = Lease::new(now, 7, far);
        assert_eq!(lease.due_at, now + Duration::days(7));
        assert_eq!(lease.remind_at, now + Duration::hours(84));
        assert_eq!(lease.lapse_at, now + Duration::days(9));

        let near = NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        let capped = Lease::new(now, 7, near);
        // 23:59:59 on 3 December in Shenzhen is 15:59:59 UTC.
        assert_eq!(
            capped.due_at,
            Utc.with_ymd_and_hms(2026, 12, 3, 15, 59, 59).single().expect("time")
        );
    }

    #[test]
    fn handoff_codes_have_six_unambiguous_characters() {
        let code = new_handoff_code();
        assert_eq!(code.len(), 6);
        assert!(crate::domain::codes::normalize_code(&code).is_some());
    }
}
