//! Yearly admission (准入): how long an admission holds and when its renewal is due.

use chrono::{Months, NaiveDate};

/// How long ahead the office sees a renewal coming.
pub const DUE_WITHIN_DAYS: i64 = 30;

/// One term of admission.
const TERM: Months = Months::new(12);

/// A year after `from` (29 February gives 28 February).
fn a_year_after(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(TERM).unwrap_or(NaiveDate::MAX)
}

/// The last day an admission holds: as recorded, or (admitted before renewals were kept) a
/// year from the day the party was created.
pub fn valid_until(admitted_until: Option<NaiveDate>, created: NaiveDate) -> NaiveDate {
    admitted_until.unwrap_or_else(|| a_year_after(created))
}

/// The last day of an admission granted on `today`.
pub fn first_term(today: NaiveDate) -> NaiveDate {
    a_year_after(today)
}

/// The last day after renewing on `today`: a year after the current end, or after today if
/// the renewal comes late (a late renewal does not back-date the year).
pub fn renewed(valid_until: NaiveDate, today: NaiveDate) -> NaiveDate {
    a_year_after(valid_until.max(today))
}

/// Where an admission stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// More than [`DUE_WITHIN_DAYS`] to go.
    Current,
    /// Due within [`DUE_WITHIN_DAYS`]: this many days left (0 on the last day).
    DueIn(i64),
    /// Past its last day by this many days.
    Overdue(i64),
}

/// Where an admission that holds until `valid_until` stands on `today`.
pub fn standing(valid_until: NaiveDate, today: NaiveDate) -> Standing {
    let left = (valid_until - today).num_days();
    if left < 0 {
        Standing::Overdue(-left)
    } else if left <= DUE_WITHIN_DAYS {
        Standing::DueIn(left)
    } else {
        Standing::Current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn an_admission_holds_a_year_and_an_old_one_a_year_from_creation() {
        assert_eq!(first_term(day("2026-12-08")), day("2027-12-08"));
        assert_eq!(valid_until(None, day("2026-03-01")), day("2027-03-01"));
        assert_eq!(
            valid_until(Some(day("2027-01-31")), day("2020-01-01")),
            day("2027-01-31")
        );
        assert_eq!(first_term(day("2028-02-29")), day("2029-02-28"));
    }

    #[test]
    fn renewing_early_keeps_the_rest_and_renewing_late_starts_from_today() {
        assert_eq!(renewed(day("2027-01-10"), day("2026-12-20")), day("2028-01-10"));
        assert_eq!(renewed(day("2026-11-01"), day("2026-12-20")), day("2027-12-20"));
    }

    #[test]
    fn the_office_sees_a_renewal_thirty_days_ahead_and_counts_the_days_late() {
        let today = day("2026-12-08");
        assert_eq!(standing(day("2027-01-08"), today), Standing::Current);
        assert_eq!(standing(day("2027-01-07"), today), Standing::DueIn(30));
        assert_eq!(standing(today, today), Standing::DueIn(0));
        assert_eq!(standing(day("2026-12-01"), today), Standing::Overdue(7));
    }
}
