//! How often a resident may ask for a new confirmation email from the expired-link page:
//! one every [`RESEND_SPACING`], at most [`RESENDS_A_DAY`] in a day that starts with the
//! first of them. The service enforces it in one conditional update; these functions say
//! when the next one is allowed and how to put the wait into words.

use chrono::{DateTime, Duration, Utc};

/// The least time between two new confirmation emails of one contact.
pub const RESEND_SPACING: Duration = Duration::minutes(10);
/// New confirmation emails one contact may get in a day.
pub const RESENDS_A_DAY: i32 = 5;
/// The length of that day.
pub const RESEND_DAY: Duration = Duration::days(1);

/// The resend state of a contact, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resends {
    /// The last new confirmation asked for.
    pub last: Option<DateTime<Utc>>,
    /// The start of the counted day.
    pub since: Option<DateTime<Utc>>,
    /// How many were asked for since `since`.
    pub count: i32,
}

impl Resends {
    /// When the next new confirmation may be queued; `None`: now.
    pub fn next_allowed(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let spacing = self.last.map(|at| at + RESEND_SPACING);
        let day = match self.since {
            Some(since) if since + RESEND_DAY > now && self.count >= RESENDS_A_DAY => Some(since + RESEND_DAY),
            _ => None,
        };
        [spacing, day].into_iter().flatten().max().filter(|at| *at > now)
    }
}

/// How a wait is said: in minutes (rounded up), in hours (rounded up), or "tomorrow".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// In this many minutes (at least 1).
    Minutes(i64),
    /// In this many hours.
    Hours(i64),
    /// The wait ends on the next calendar day (UTC+8, the relay's local time).
    Tomorrow,
}

/// The words for waiting from `now` until `until`.
pub fn wait(now: DateTime<Utc>, until: DateTime<Utc>) -> Wait {
    let seconds = (until - now).num_seconds().max(0);
    let minutes = (seconds + 59) / 60;
    if minutes <= 60 {
        Wait::Minutes(minutes.max(1))
    } else if super::time::local_date(until) > super::time::local_date(now) {
        Wait::Tomorrow
    } else {
        Wait::Hours((minutes + 59) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("time")
            .and_utc()
    }

    #[test]
    fn one_every_ten_minutes_and_five_a_day() {
        let now = at(1, 0);
        assert_eq!(
            Resends {
                last: None,
                since: None,
                count: 0
            }
            .next_allowed(now),
            None
        );
        let just = Resends {
            last: Some(now),
            since: Some(now),
            count: 1,
        };
        assert_eq!(
            just.next_allowed(now + Duration::minutes(2)),
            Some(now + RESEND_SPACING)
        );
        assert_eq!(just.next_allowed(now + RESEND_SPACING), None);
        let five = Resends {
            last: Some(at(2, 0)),
            since: Some(now),
            count: 5,
        };
        assert_eq!(five.next_allowed(at(3, 0)), Some(now + RESEND_DAY));
        assert_eq!(five.next_allowed(now + RESEND_DAY), None, "a new day");
    }

    #[test]
    fn waits_read_as_minutes_hours_or_tomorrow() {
        assert_eq!(wait(at(1, 0), at(1, 8)), Wait::Minutes(8));
        assert_eq!(wait(at(1, 0), at(1, 0) + Duration::seconds(30)), Wait::Minutes(1));
        assert_eq!(wait(at(1, 0), at(3, 30)), Wait::Hours(3));
        // 01:00 UTC is 09:00 in Shenzhen; 17:00 UTC is 01:00 the next day there.
        assert_eq!(wait(at(1, 0), at(17, 0)), Wait::Tomorrow);
    }
}
