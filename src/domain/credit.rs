//! Credit bands (信用评价及结果运用): a merchant's or an organization's credit score, 0–100,
//! read as one of four bands, and what each band changes.
//!
//! | band | score | a merchant | an organization |
//! |---|---|---|---|
//! | A | 85 and up | offered urgent needs first (the first rung of their alerts) | — |
//! | B | 50 to 84 | as usual (every new party starts here) | as usual (every new party starts here) |
//! | C | 40 to 49 | as usual; its own page says what would raise it | as usual; likewise |
//! | D | below 40 | holds at most one claim at a time and hears of no new needs | flagged to the office at renewal |
//!
//! The bands are graduated, never shaming: a party sees its own band explained, the office
//! sees every band, and the public never sees one (the transparency page shows only the
//! shops that chose to be listed, as before).
//!
//! A merchant's score is [`super::record::MerchantRecord::credit_score`] (a new merchant
//! scores 60, band B). An organization's is [`OrganizationRecord::score`].

text_enum! {
    /// A party's credit band, from its credit score ([`CreditBand::of_score`]).
    CreditBand, "credit band" {
        /// 85 and up.
        A => ("a", "A 级 · 优秀", "Band A · excellent"),
        /// 50 to 84: where every new party starts.
        B => ("b", "B 级 · 良好", "Band B · good"),
        /// 40 to 49.
        C => ("c", "C 级 · 需留意", "Band C · some concerns"),
        /// Below 40.
        D => ("d", "D 级 · 待提升", "Band D · room to improve"),
    }
}

/// The lowest score of band A.
pub const BAND_A_FROM: i32 = 85;
/// The lowest score of band B.
pub const BAND_B_FROM: i32 = 50;
/// The lowest score of band C; below it is band D.
pub const BAND_C_FROM: i32 = 40;
/// Active claims a band D merchant may hold at once.
pub const BAND_D_CLAIM_LIMIT: u32 = 1;

impl CreditBand {
    /// The band of a score (0–100; anything outside is read as the nearest end).
    pub fn of_score(score: i32) -> CreditBand {
        match score {
            s if s >= BAND_A_FROM => CreditBand::A,
            s if s >= BAND_B_FROM => CreditBand::B,
            s if s >= BAND_C_FROM => CreditBand::C,
            _ => CreditBand::D,
        }
    }

    /// The lowest score of this band.
    pub fn floor(self) -> i32 {
        match self {
            CreditBand::A => BAND_A_FROM,
            CreditBand::B => BAND_B_FROM,
            CreditBand::C => BAND_C_FROM,
            CreditBand::D => 0,
        }
    }

    /// The band above this one, if there is one.
    pub fn next_up(self) -> Option<CreditBand> {
        match self {
            CreditBand::A => None,
            CreditBand::B => Some(CreditBand::A),
            CreditBand::C => Some(CreditBand::B),
            CreditBand::D => Some(CreditBand::C),
        }
    }

    /// The score at which a party of this band reaches the next one up.
    pub fn next_floor(self) -> Option<i32> {
        self.next_up().map(CreditBand::floor)
    }

    /// The letter, for places where the label would not fit (a list column).
    pub fn letter(self) -> &'static str {
        match self {
            CreditBand::A => "A",
            CreditBand::B => "B",
            CreditBand::C => "C",
            CreditBand::D => "D",
        }
    }
}

/// How late a social worker may confirm a delivery: one left unconfirmed longer counts
/// against the organization.
pub const CONFIRM_WITHIN_DAYS: i64 = 3;
/// How far back an organization's record reaches: its admission is renewed yearly, and a
/// year's record is what the office weighs then.
pub const ORGANIZATION_RECORD_DAYS: i64 = 365;

/// What an organization has done in the last [`ORGANIZATION_RECORD_DAYS`] days, counted from
/// its needs, the claims on them, the referrals sent to it and the audit log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrganizationRecord {
    /// Its needs that ended fulfilled.
    pub needs_fulfilled: u32,
    /// Its needs that ended without being fulfilled (expired or cancelled).
    pub needs_unfulfilled: u32,
    /// Deliveries to it confirmed (or disputed) within [`CONFIRM_WITHIN_DAYS`] days.
    pub confirmed_on_time: u32,
    /// Deliveries confirmed later than that, or still waiting for it longer than that.
    pub confirmed_late: u32,
    /// Referrals to it answered by their due time.
    pub referrals_on_time: u32,
    /// Referrals to it answered after their due time, or still unanswered past it.
    pub referrals_late: u32,
    /// Needs its workers tried to post or edit with the person's own name, phone or
    /// address in the public text (the form refused them: `need.post` / `need.edit`
    /// denied with `data_quality` in the audit log).
    pub data_quality_refusals: u32,
    /// Deliveries it disputed that the office then confirmed as they were (the dispute
    /// was settled against it: `claim.confirm` after a dispute, by office staff).
    pub disputes_lost: u32,
}

/// Good events a new organization is credited with, so that a few events cannot make or
/// break it (its score starts at 100 × 7 / 10 = 70, band B).
const PRIOR_GOOD: f64 = 7.0;
/// All events a new organization is credited with (see [`PRIOR_GOOD`]).
const PRIOR_ALL: f64 = 10.0;

impl OrganizationRecord {
    /// The good events: needs fulfilled, deliveries confirmed on time, referrals answered
    /// on time, one point each.
    pub fn good(&self) -> f64 {
        f64::from(self.needs_fulfilled) + f64::from(self.confirmed_on_time) + f64::from(self.referrals_on_time)
    }

    /// The bad events, weighed: a need ended unfulfilled half a point (a need may expire
    /// for want of a merchant), a late confirmation, a late answer to a referral or a
    /// data-quality refusal one point, a dispute lost two (a shop was wrongly told its
    /// delivery was in doubt).
    pub fn bad(&self) -> f64 {
        0.5 * f64::from(self.needs_unfulfilled)
            + f64::from(self.confirmed_late)
            + f64::from(self.referrals_late)
            + f64::from(self.data_quality_refusals)
            + 2.0 * f64::from(self.disputes_lost)
    }

    /// The credit score, 0–100: the share of good events among all of them, counting seven
    /// good and three bad ones every organization starts with:
    ///
    /// `score = 100 × (good + 7) / (good + bad + 10)`
    ///
    /// A new organization scores 70 (band B); every good event raises the score and every
    /// bad one lowers it, so the band never falls for doing well.
    pub fn score(&self) -> i32 {
        let good = self.good();
        let score = 100.0 * (good + PRIOR_GOOD) / (good + self.bad() + PRIOR_ALL);
        score.round().clamp(0.0, 100.0) as i32
    }

    /// The band of [`Self::score`].
    pub fn band(&self) -> CreditBand {
        CreditBand::of_score(self.score())
    }

    /// How many more good events (with nothing against) would lift the organization into
    /// the next band up; `None` in band A.
    pub fn good_events_to_next_band(&self) -> Option<u32> {
        let band = self.band();
        band.next_up()?;
        let mut more = *self;
        // Each step adds one point of good; the score rises towards 100, so the next band
        // is always reached (a few hundred steps at the very most).
        for steps in 1..=10_000u32 {
            more.confirmed_on_time = more.confirmed_on_time.saturating_add(1);
            if more.band() < band {
                return Some(steps);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::record::MerchantRecord;

    #[test]
    fn scores_read_as_bands_at_the_documented_thresholds() {
        assert_eq!(CreditBand::of_score(100), CreditBand::A);
        assert_eq!(CreditBand::of_score(85), CreditBand::A);
        assert_eq!(CreditBand::of_score(84), CreditBand::B);
        assert_eq!(CreditBand::of_score(50), CreditBand::B);
        assert_eq!(CreditBand::of_score(49), CreditBand::C);
        assert_eq!(CreditBand::of_score(40), CreditBand::C);
        assert_eq!(CreditBand::of_score(39), CreditBand::D);
        assert_eq!(CreditBand::of_score(0), CreditBand::D);
        assert_eq!(CreditBand::of_score(-5), CreditBand::D);
        assert_eq!(CreditBand::of_score(120), CreditBand::A);
        for band in CreditBand::ALL {
            assert_eq!(CreditBand::of_score(band.floor()), *band);
            if let Some(next) = band.next_floor() {
                assert_eq!(CreditBand::of_score(next - 1), *band);
                assert_eq!(Some(CreditBand::of_score(next)), band.next_up());
            }
        }
        assert_eq!(CreditBand::A.next_up(), None);
    }

    #[test]
    fn labels_never_shame_and_differ_by_language() {
        for band in CreditBand::ALL {
            let zh = band.label(crate::domain::Locale::ZhCn);
            let en = band.label(crate::domain::Locale::En);
            assert!(zh.contains(band.letter()) && en.contains(band.letter()));
            for word in ["差", "失信", "黑名单", "bad", "poor", "fail", "untrust"] {
                assert!(!zh.contains(word) && !en.to_lowercase().contains(word), "{zh} / {en}");
            }
        }
    }

    #[test]
    fn a_new_merchant_and_a_new_organization_start_in_band_b() {
        assert_eq!(MerchantRecord::default().band(), CreditBand::B);
        assert_eq!(OrganizationRecord::default().score(), 70);
        assert_eq!(OrganizationRecord::default().band(), CreditBand::B);
    }

    #[test]
    fn a_single_slip_does_not_move_a_new_merchant_out_of_band_b() {
        let one_lapse = MerchantRecord {
            lapsed: 1,
            recent_lapses: 1,
            lapse_streak: 1,
            ..Default::default()
        };
        assert_eq!(one_lapse.band(), CreditBand::B, "{}", one_lapse.credit_score());
    }

    #[test]
    fn merchants_reach_a_with_good_deliveries_and_d_with_a_long_poor_record() {
        let good = MerchantRecord {
            on_time: 6,
            rating_sum: 30,
            ratings: 6,
            ..Default::default()
        };
        assert_eq!(good.band(), CreditBand::A, "{}", good.credit_score());
        // Many lapses long ago and poor ratings: no recent lapse, yet band D.
        let poor = MerchantRecord {
            on_time: 2,
            lapsed: 10,
            rating_sum: 2,
            ratings: 2,
            ..Default::default()
        };
        assert_eq!(poor.band(), CreditBand::D, "{}", poor.credit_score());
        let lapsing = MerchantRecord {
            lapsed: 5,
            recent_lapses: 5,
            ..Default::default()
        };
        assert_eq!(lapsing.band(), CreditBand::D, "{}", lapsing.credit_score());
    }

    #[test]
    fn organizations_rise_with_good_work_and_fall_with_late_answers_and_lost_disputes() {
        let busy = OrganizationRecord {
            needs_fulfilled: 12,
            confirmed_on_time: 20,
            referrals_on_time: 3,
            needs_unfulfilled: 2,
            confirmed_late: 1,
            ..Default::default()
        };
        assert_eq!(busy.band(), CreditBand::A, "{}", busy.score());
        let slow = OrganizationRecord {
            confirmed_late: 8,
            ..Default::default()
        };
        assert_eq!(slow.band(), CreditBand::D, "{}", slow.score());
        let some = OrganizationRecord {
            confirmed_on_time: 2,
            confirmed_late: 4,
            data_quality_refusals: 1,
            disputes_lost: 1,
            ..Default::default()
        };
        assert_eq!(some.band(), CreditBand::C, "{}", some.score());
        // The boundary of D: 7 / (10 + 7.5) = 40 %, and one more half point falls below.
        let edge = OrganizationRecord {
            confirmed_late: 7,
            needs_unfulfilled: 1,
            ..Default::default()
        };
        assert_eq!(edge.score(), 40);
        assert_eq!(edge.band(), CreditBand::C);
        let below = OrganizationRecord {
            needs_unfulfilled: 2,
            ..edge
        };
        assert_eq!(below.band(), CreditBand::D, "{}", below.score());
    }

    #[test]
    fn an_organization_is_told_how_much_good_work_reaches_the_next_band() {
        // 70 now; 85 needs (g + 7) / (g + 10) >= 0.845, so g = 10 good events.
        assert_eq!(OrganizationRecord::default().good_events_to_next_band(), Some(10));
        let slow = OrganizationRecord {
            confirmed_late: 8,
            ..Default::default()
        };
        // 7 / 18 is band D; (7 + 1) / 19 = 42 % is band C.
        assert_eq!(slow.good_events_to_next_band(), Some(1));
        let top = OrganizationRecord {
            confirmed_on_time: 50,
            ..Default::default()
        };
        assert_eq!(top.band(), CreditBand::A);
        assert_eq!(top.good_events_to_next_band(), None);
    }

    fn merchant_record() -> impl Strategy<Value = MerchantRecord> {
        (0..60u32, 0..20u32, 0..20u32, 0..20u32, 0..3u32, 0..60u32, 1..=5u32).prop_map(
            |(on_time, late, lapsed, recent, streak, ratings, stars)| MerchantRecord {
                on_time,
                late,
                lapsed: lapsed.max(recent),
                recent_lapses: recent,
                lapse_streak: streak,
                rating_sum: ratings * stars,
                ratings,
            },
        )
    }

    fn organization_record() -> impl Strategy<Value = OrganizationRecord> {
        (
            (0..200u32, 0..200u32, 0..200u32, 0..50u32),
            (0..200u32, 0..200u32, 0..50u32, 0..50u32),
        )
            .prop_map(|((nf, nu, co, cl), (ro, rl, q, d))| OrganizationRecord {
                needs_fulfilled: nf,
                needs_unfulfilled: nu,
                confirmed_on_time: co,
                confirmed_late: cl,
                referrals_on_time: ro,
                referrals_late: rl,
                data_quality_refusals: q,
                disputes_lost: d,
            })
    }

    // Band A is the best: a "better or equal" band compares lower in the enum's order.
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn a_merchant_never_falls_a_band_for_delivering_on_time_nor_rises_for_a_lapse(r in merchant_record()) {
            let delivered = MerchantRecord { on_time: r.on_time + 1, ..r };
            prop_assert!(delivered.band() <= r.band(), "{r:?}: {} -> {}", r.credit_score(), delivered.credit_score());
            let lapsed = MerchantRecord { lapsed: r.lapsed + 1, recent_lapses: r.recent_lapses + 1, ..r };
            prop_assert!(lapsed.band() >= r.band(), "{r:?}: {} -> {}", r.credit_score(), lapsed.credit_score());
            if r.ratings > 0 && r.rating_sum < 5 * r.ratings {
                let better = MerchantRecord { rating_sum: r.rating_sum + 1, ..r };
                prop_assert!(better.band() <= r.band());
            }
        }

        #[test]
        fn an_organization_band_is_monotone_in_every_count(r in organization_record()) {
            let goods: [fn(&mut OrganizationRecord); 3] = [
                |r| r.needs_fulfilled += 1,
                |r| r.confirmed_on_time += 1,
                |r| r.referrals_on_time += 1,
            ];
            let bads: [fn(&mut OrganizationRecord); 5] = [
                |r| r.needs_unfulfilled += 1,
                |r| r.confirmed_late += 1,
                |r| r.referrals_late += 1,
                |r| r.data_quality_refusals += 1,
                |r| r.disputes_lost += 1,
            ];
            for add in goods {
                let mut more = r;
                add(&mut more);
                prop_assert!(more.score() >= r.score() && more.band() <= r.band(), "{r:?} -> {more:?}");
            }
            for add in bads {
                let mut more = r;
                add(&mut more);
                prop_assert!(more.score() <= r.score() && more.band() >= r.band(), "{r:?} -> {more:?}");
            }
        }
    }
}
