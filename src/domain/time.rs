//! The relay's local time: Shenzhen, UTC+8 all year.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Timelike, Utc};

/// UTC+8; China has no daylight saving time.
pub const LOCAL_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Minutes in a day.
pub const MINUTES_A_DAY: u16 = 24 * 60;

/// Today's date in local time.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&LOCAL_OFFSET).date_naive()
}

/// The minute of the local day `t` falls in, 0 to 1439.
pub fn local_minute(t: DateTime<Utc>) -> u16 {
    let local = t.with_timezone(&LOCAL_OFFSET);
    // Both parts are small: hour < 24, minute < 60.
    (local.hour() * 60 + local.minute()) as u16
}

/// The instant of local `date` at `minute` after midnight (minutes past the day roll over).
pub fn local_at(date: NaiveDate, minute: u16) -> DateTime<Utc> {
    let naive = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
    naive.and_utc() - Duration::seconds(i64::from(LOCAL_OFFSET.local_minus_utc()))
}

/// Local midnight at the start of `date`.
pub fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    local_at(date, 0)
}

/// Local midnight at the start of the month `now` is in.
pub fn local_month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = local_date(now);
    local_midnight(today.with_day(1).unwrap_or(today))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn local_days_start_at_midnight_in_shenzhen() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(local_midnight(date), utc("2026-11-30T16:00:00Z"));
        assert_eq!(local_at(date, 22 * 60 + 30), utc("2026-12-01T14:30:00Z"));
        assert_eq!(local_date(utc("2026-11-30T16:00:00Z")), date);
        assert_eq!(local_minute(utc("2026-11-30T23:59:00Z")), 7 * 60 + 59);
        assert_eq!(
            local_month_start(utc("2026-12-15T03:00:00Z")),
            utc("2026-11-30T16:00:00Z")
        );
        // 1 December 00:30 local is still December.
        assert_eq!(
            local_month_start(utc("2026-11-30T16:30:00Z")),
            utc("2026-11-30T16:00:00Z")
        );
    }
}
