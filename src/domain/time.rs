//! The relay's local time: Shenzhen, UTC+8 all year.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+8; China has no daylight saving time.
pub const LOCAL_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Today's date in local time.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&LOCAL_OFFSET).date_naive()
}
