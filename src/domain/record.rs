//! A merchant's record: how many claims it may hold (anti-hoarding), its credit score and
//! its credit band (see [`super::credit`]).

use super::credit::{BAND_D_CLAIM_LIMIT, CreditBand};

/// What a merchant has done, counted from its claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MerchantRecord {
    /// Claims delivered on or before their due date (and not disputed away).
    pub on_time: u32,
    /// Claims delivered after their due date.
    pub late: u32,
    /// Claims that lapsed, ever.
    pub lapsed: u32,
    /// Claims that lapsed in the last 90 days.
    pub recent_lapses: u32,
    /// How many of the merchant's most recently ended claims lapsed in a row.
    pub lapse_streak: u32,
    /// Sum of the ratings received (1–5 each).
    pub rating_sum: u32,
    /// Number of ratings received.
    pub ratings: u32,
}

/// Active claims a merchant with no record may hold.
pub const BASE_CLAIM_LIMIT: u32 = 3;
/// Active claims no merchant may exceed.
pub const MAX_CLAIM_LIMIT: u32 = 20;
/// Lapses in a row after which a merchant must deliver before claiming more.
pub const DELIVER_FIRST_STREAK: u32 = 2;

/// How many more claims a merchant may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimAllowance {
    /// It may hold up to `limit` active claims.
    UpTo(u32),
    /// Its credit is in band D: it may hold [`BAND_D_CLAIM_LIMIT`] active claim at a time,
    /// whatever its other limit, until its record lifts it out of band D.
    OneAtATime,
    /// Its last claims lapsed repeatedly: it must deliver an active claim first.
    DeliverFirst,
}

impl ClaimAllowance {
    /// The most active claims this allows; none until a delivery for "deliver first".
    pub fn limit(self) -> u32 {
        match self {
            ClaimAllowance::UpTo(limit) => limit,
            ClaimAllowance::OneAtATime => BAND_D_CLAIM_LIMIT,
            ClaimAllowance::DeliverFirst => 0,
        }
    }
}

impl MerchantRecord {
    /// Deliveries made, on time or late.
    pub fn deliveries(&self) -> u32 {
        self.on_time + self.late
    }

    /// The share of ended claims delivered on time (1.0 with no history).
    pub fn on_time_ratio(&self) -> f64 {
        let ended = self.deliveries() + self.lapsed;
        if ended == 0 {
            1.0
        } else {
            f64::from(self.on_time) / f64::from(ended)
        }
    }

    /// The anti-hoarding limit:
    ///
    /// `limit = clamp(3 + growth − 2 × recent_lapses, 1, 20)`, where
    /// `growth = on_time / 2` while at least 80 % of ended claims were on time, and
    /// `on_time / 4` otherwise. Two lapses in a row mean "deliver first": no new claim
    /// until one is delivered (a delivery ends the streak). A merchant in credit band D
    /// holds one claim at a time ([`ClaimAllowance::OneAtATime`]).
    pub fn claim_allowance(&self) -> ClaimAllowance {
        if self.lapse_streak >= DELIVER_FIRST_STREAK {
            return ClaimAllowance::DeliverFirst;
        }
        if self.band() == CreditBand::D {
            return ClaimAllowance::OneAtATime;
        }
        let growth = if self.on_time_ratio() >= 0.8 {
            self.on_time / 2
        } else {
            self.on_time / 4
        };
        let raw = i64::from(BASE_CLAIM_LIMIT) + i64::from(growth) - 2 * i64::from(self.recent_lapses);
        ClaimAllowance::UpTo(raw.clamp(1, i64::from(MAX_CLAIM_LIMIT)) as u32)
    }

    /// The credit score, 0–100:
    ///
    /// `raw = 45 × on_time_ratio + 40 × (mean_rating − 1) / 4 + 15 − 5 × recent_lapses`
    /// (a merchant with no rating counts as 3.5 stars), then blended with the starting
    /// score 60 by confidence `n / (n + 3)` where `n` is the number of ended claims, so a
    /// single delivery cannot make or break a merchant.
    pub fn credit_score(&self) -> i32 {
        let mean_rating = if self.ratings == 0 {
            3.5
        } else {
            f64::from(self.rating_sum) / f64::from(self.ratings)
        };
        let raw =
            45.0 * self.on_time_ratio() + 40.0 * (mean_rating - 1.0) / 4.0 + 15.0 - 5.0 * f64::from(self.recent_lapses);
        let n = f64::from(self.deliveries() + self.lapsed);
        let confidence = n / (n + 3.0);
        let score = 60.0 * (1.0 - confidence) + raw.clamp(0.0, 100.0) * confidence;
        score.round().clamp(0.0, 100.0) as i32
    }

    /// The band of [`Self::credit_score`].
    pub fn band(&self) -> CreditBand {
        CreditBand::of_score(self.credit_score())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(on_time: u32, lapsed: u32, recent_lapses: u32) -> MerchantRecord {
        MerchantRecord {
            on_time,
            lapsed,
            recent_lapses,
            ..Default::default()
        }
    }

    #[test]
    fn a_new_merchant_may_hold_three_claims_and_good_ones_grow_to_twenty() {
        assert_eq!(MerchantRecord::default().claim_allowance(), ClaimAllowance::UpTo(3));
        assert_eq!(record(10, 0, 0).claim_allowance(), ClaimAllowance::UpTo(8));
        assert_eq!(record(100, 0, 0).claim_allowance(), ClaimAllowance::UpTo(20));
    }

    #[test]
    fn lapses_shrink_the_limit_and_a_streak_means_deliver_first() {
        assert_eq!(record(10, 1, 1).claim_allowance(), ClaimAllowance::UpTo(6));
        assert_eq!(record(0, 3, 3).claim_allowance(), ClaimAllowance::UpTo(1));
        let streak = MerchantRecord {
            lapse_streak: 2,
            ..record(10, 2, 2)
        };
        assert_eq!(streak.claim_allowance(), ClaimAllowance::DeliverFirst);
        // A poor on-time ratio slows growth.
        assert_eq!(record(8, 4, 0).claim_allowance(), ClaimAllowance::UpTo(5));
    }

    #[test]
    fn a_band_d_merchant_holds_one_claim_at_a_time_even_without_recent_lapses() {
        // Ten lapses long ago and two poor ratings: its anti-hoarding limit alone would be 3.
        let poor = MerchantRecord {
            on_time: 2,
            lapsed: 10,
            rating_sum: 2,
            ratings: 2,
            ..Default::default()
        };
        assert_eq!(poor.band(), CreditBand::D);
        assert_eq!(poor.claim_allowance(), ClaimAllowance::OneAtATime);
        assert_eq!(poor.claim_allowance().limit(), 1);
        // Deliver-first still comes first.
        let streak = MerchantRecord {
            lapse_streak: 2,
            ..poor
        };
        assert_eq!(streak.claim_allowance(), ClaimAllowance::DeliverFirst);
        // Good deliveries lift it out of band D, and the usual limit applies again.
        let better = MerchantRecord {
            on_time: 14,
            rating_sum: 62,
            ratings: 14,
            ..poor
        };
        assert_ne!(better.band(), CreditBand::D, "{}", better.credit_score());
        assert!(matches!(better.claim_allowance(), ClaimAllowance::UpTo(_)));
    }

    #[test]
    fn credit_starts_at_60_rises_with_good_deliveries_and_falls_with_lapses() {
        assert_eq!(MerchantRecord::default().credit_score(), 60);
        let good = MerchantRecord {
            on_time: 20,
            rating_sum: 100,
            ratings: 20,
            ..Default::default()
        };
        let bad = MerchantRecord {
            on_time: 2,
            lapsed: 5,
            recent_lapses: 3,
            rating_sum: 4,
            ratings: 2,
            ..Default::default()
        };
        assert!(good.credit_score() > 85, "{}", good.credit_score());
        assert!(bad.credit_score() < 40, "{}", bad.credit_score());
        let one = MerchantRecord {
            on_time: 1,
            rating_sum: 5,
            ratings: 1,
            ..Default::default()
        };
        assert!(
            (60..=75).contains(&one.credit_score()),
            "one delivery moves the score a little"
        );
    }

    #[test]
    fn credit_is_monotonic_in_ratings_and_lapses() {
        let base = MerchantRecord {
            on_time: 5,
            rating_sum: 15,
            ratings: 5,
            ..Default::default()
        };
        let better = MerchantRecord { rating_sum: 20, ..base };
        let lapsed = MerchantRecord {
            lapsed: 1,
            recent_lapses: 1,
            ..base
        };
        assert!(better.credit_score() > base.credit_score());
        assert!(lapsed.credit_score() < base.credit_score());
    }
}
