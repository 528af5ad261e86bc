//! The resource library's rules (爱心资源库): whose offers a reader sees, and how much of an
//! offer is left this month.
//!
//! Capacity left: an offer promises `monthly_capacity` units a local calendar month. What the
//! merchant has claimed this month in the offer's category counts against it — every claim
//! made since the first of the month (UTC+8) that still holds or has delivered its units
//! (active, disputed, delivered, confirmed); a released or lapsed claim gave its units back and
//! counts for nothing. A merchant with two offers in one category has both measured against
//! the same claims, since a claim does not say which offer it drew on.

/// Units left of an offer this month: its monthly capacity less what was claimed against its
/// category, never below zero.
pub fn capacity_left(monthly_capacity: i32, claimed_this_month: i64) -> i32 {
    let left = i64::from(monthly_capacity) - claimed_this_month.max(0);
    // `left` lies between a negative number and `monthly_capacity`, an i32.
    i32::try_from(left.max(0)).unwrap_or(0)
}

/// Whether a merchant's offers are in the library of a reader of `reader_subdistrict`: its own
/// subdistrict's merchants, and those of other subdistricts who opted in to the district's
/// other subdistricts (`/alerts`). `None` reads the whole district (the district bureau).
pub fn visible_to(reader_subdistrict: Option<i64>, merchant_subdistrict: i64, opted_in_elsewhere: bool) -> bool {
    match reader_subdistrict {
        None => true,
        Some(own) => own == merchant_subdistrict || opted_in_elsewhere,
    }
}

/// Rows of one library page.
pub const PAGE_SIZE: u64 = 20;

/// The most rows one page may ask for (the API's `limit`).
pub const MAX_PAGE: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_left_subtracts_this_months_claims() {
        assert_eq!(capacity_left(10, 0), 10);
        assert_eq!(capacity_left(10, 4), 6);
        assert_eq!(capacity_left(10, 10), 0);
    }

    #[test]
    fn capacity_left_never_goes_below_zero() {
        // A merchant may claim more than it offered (the claim limit is another rule).
        assert_eq!(capacity_left(3, 7), 0);
        assert_eq!(capacity_left(3, i64::MAX), 0);
        assert_eq!(capacity_left(3, -2), 3);
    }

    #[test]
    fn own_subdistrict_is_always_visible_others_only_when_opted_in() {
        assert!(visible_to(Some(1), 1, false));
        assert!(!visible_to(Some(1), 2, false));
        assert!(visible_to(Some(1), 2, true));
        assert!(visible_to(None, 2, false));
    }
}
