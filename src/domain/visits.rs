//! Visits (探访): how a social worker saw the person, and when the next visit falls due.

use chrono::{Duration, NaiveDate};

use super::BeneficiaryGroup;
use super::input::FieldError;

text_enum! {
    /// How the visit was made.
    VisitMode, "visit mode" {
        Home => ("home", "上门探访", "Home visit"),
        Phone => ("phone", "电话探访", "Phone call"),
        Station => ("station", "站点面谈", "At the station"),
    }
}

/// Fewest and most days between visits the office may set.
pub const INTERVAL_DAYS: std::ops::RangeInclusive<i64> = 1..=365;
/// A visit shows as due this many days before it falls due.
pub const DUE_WITHIN_DAYS: i64 = 7;

/// Days between visits before the office sets its own: the elderly living alone monthly, others quarterly.
pub fn default_interval(group: BeneficiaryGroup) -> i64 {
    match group {
        BeneficiaryGroup::ElderlyAlone => 30,
        _ => 90,
    }
}

/// An interval the office typed, in days.
pub fn interval_days(raw: &str) -> Result<i64, FieldError> {
    super::input::number(raw, *INTERVAL_DAYS.start(), *INTERVAL_DAYS.end())
}

/// A visit's day: never after `today`.
pub fn visit_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let day = super::input::date(raw)?;
    if day > today {
        return Err(FieldError::DateInFuture);
    }
    Ok(day)
}

/// Where a person's next visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Falls due on `on`, within [`DUE_WITHIN_DAYS`].
    Soon {
        /// The day it falls due.
        on: NaiveDate,
    },
    /// Was due on `on`, `days` days ago.
    Overdue {
        /// The day it fell due.
        on: NaiveDate,
        /// Days since.
        days: i64,
    },
}

/// The next visit's standing, counted from the last visit (or, never visited, from registration):
/// `None` while it is more than [`DUE_WITHIN_DAYS`] away.
pub fn due(since: NaiveDate, interval_days: i64, today: NaiveDate) -> Option<Due> {
    let on = since + Duration::days(interval_days);
    if on < today {
        Some(Due::Overdue {
            on,
            days: (today - on).num_days(),
        })
    } else if (on - today).num_days() <= DUE_WITHIN_DAYS {
        Some(Due::Soon { on })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_elderly_living_alone_are_visited_monthly_others_quarterly() {
        assert_eq!(default_interval(BeneficiaryGroup::ElderlyAlone), 30);
        assert_eq!(default_interval(BeneficiaryGroup::Disabled), 90);
    }

    #[test]
    fn intervals_run_from_one_day_to_a_year() {
        assert_eq!(interval_days("30"), Ok(30));
        assert_eq!(interval_days("0"), Err(FieldError::OutOfRange { min: 1, max: 365 }));
        assert_eq!(interval_days("366"), Err(FieldError::OutOfRange { min: 1, max: 365 }));
        assert_eq!(interval_days("x"), Err(FieldError::NotANumber));
    }

    #[test]
    fn a_visit_cannot_be_logged_for_tomorrow() {
        let today = d("2026-12-07");
        assert_eq!(visit_date("2026-12-07", today), Ok(today));
        assert_eq!(visit_date("2026-12-08", today), Err(FieldError::DateInFuture));
        assert_eq!(visit_date("", today), Err(FieldError::Required));
    }

    #[test]
    fn a_visit_is_due_a_week_ahead_and_overdue_after_its_day() {
        let today = d("2026-12-07");
        assert_eq!(
            due(d("2026-11-01"), 30, today),
            Some(Due::Overdue {
                on: d("2026-12-01"),
                days: 6
            })
        );
        assert_eq!(due(d("2026-11-07"), 30, today), Some(Due::Soon { on: d("2026-12-07") }));
        assert_eq!(due(d("2026-11-14"), 30, today), Some(Due::Soon { on: d("2026-12-14") }));
        assert_eq!(due(d("2026-11-15"), 30, today), None);
    }
}
