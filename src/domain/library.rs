//! The resource library's rules (爱心资源库): whose offers a reader sees, and how much of an
//! offer is left this month.
//!
//! Capacity left: an offer promises `monthly_capacity` units a local calendar month. What the
//! merchant has claimed this month in the offer's category counts against it — every claim
//! made since the first of the month (UTC+8) that still holds or has delivered its units
//! (active, disputed, delivered, confirmed); a released or lapsed claim gave its units back and
//! counts for nothing. A merchant with two offers in one category has both measured against
//! the same claims, since a claim does not say which offer it drew on.

use crate::domain::Locale;

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

/// Why a directed request ("ask this merchant") is not sent; said in words beside the offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AskRefusal {
    /// The need is not open, or nothing of it is left to claim.
    #[error("the need is not open for claims")]
    NeedNotOpen,
    /// The merchant has no active offer of the need's kind serving the need's community in
    /// the asker's library (which holds approved merchants only).
    #[error("the merchant does not offer this in the need's community")]
    NotServing,
    /// This merchant was asked about this need already.
    #[error("the merchant was asked already")]
    AlreadyAsked,
    /// The merchant has no Telegram chat: the office records its claim when it phones in.
    #[error("the merchant has no Telegram chat")]
    NoTelegram,
    /// The merchant had as many alerts today as it accepts a day.
    #[error("the merchant's daily alert cap is reached")]
    CapFull,
    /// The merchant is in credit band D: it hears of no new needs until its record lifts it.
    #[error("the merchant is in credit band D")]
    BandD,
}

impl AskRefusal {
    /// The refusal in `locale`, with what to do instead.
    pub fn message(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::NeedNotOpen, Locale::ZhCn) => "这项需求已不再开放认领，无需再询问商户。",
            (Self::NeedNotOpen, Locale::En) => "This need is no longer open for claims; there is nothing to ask.",
            (Self::NotServing, Locale::ZhCn) => "这家商户没有服务该社区的同类供给，请从下面合适的供给中选择。",
            (Self::NotServing, Locale::En) => {
                "This merchant has no offer of this kind for the need's community; pick one of the fitting offers below."
            }
            (Self::AlreadyAsked, Locale::ZhCn) => "已经就这项需求询问过这家商户，请等待回复。",
            (Self::AlreadyAsked, Locale::En) => "This merchant was asked about this need already; wait for its answer.",
            (Self::NoTelegram, Locale::ZhCn) => {
                "这家商户没有绑定 Telegram，无法收到询问。请电话联系，由街道办代为登记认领。"
            }
            (Self::NoTelegram, Locale::En) => {
                "This merchant has no Telegram chat and cannot get the request. Phone the shop; the office can record its claim."
            }
            (Self::CapFull, Locale::ZhCn) => "这家商户今天收到的提醒已达上限，请明天再问，或询问其他商户。",
            (Self::CapFull, Locale::En) => {
                "This merchant has had all the alerts it accepts today; ask again tomorrow or ask another merchant."
            }
            (Self::BandD, Locale::ZhCn) => "这家商户目前信用为 D 级，信用恢复前不接收新需求的提醒，请询问其他商户。",
            (Self::BandD, Locale::En) => {
                "This merchant is in credit band D and hears of no new needs until its record improves; ask another merchant."
            }
        }
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
    fn every_refusal_is_said_in_both_languages() {
        use AskRefusal::*;
        for r in [NeedNotOpen, NotServing, AlreadyAsked, NoTelegram, CapFull, BandD] {
            assert!(!r.message(Locale::ZhCn).is_empty() && r.message(Locale::ZhCn) != r.message(Locale::En));
        }
    }

    #[test]
    fn own_subdistrict_is_always_visible_others_only_when_opted_in() {
        assert!(visible_to(Some(1), 1, false));
        assert!(!visible_to(Some(1), 2, false));
        assert!(visible_to(Some(1), 2, true));
        assert!(visible_to(None, 2, false));
    }
}
