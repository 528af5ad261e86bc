//! How well a need fits a merchant: one score, used to order a merchant's needs in the bot
//! and to choose which merchants hear of a new need first.
//!
//! The weights, in one place:
//!
//! | part | points |
//! |---|---|
//! | relevance floor: an active offer of the need's category, or the merchant serves the need's community | 35 |
//! | offer fit: an active offer of the category with capacity left this month (scaled by how much of what is left it covers) | up to 20 |
//! | place: serves the need's community / the same subdistrict | 20 / 8 |
//! | credit (0–100) | up to 15 |
//! | fairness: fewer claims in the last 30 days get a turn | up to 10 |
//! | urgency: urgent | 10 |
//! | age: 2 a day unclaimed | up to 14 |
//!
//! Promises (property-tested): an urgent need never ranks below an otherwise identical normal
//! one; an older unclaimed need never below an otherwise identical newer one; a merchant with
//! no matching offer and outside the community ranks below every merchant that has either,
//! even one in the same subdistrict (irrelevant merchants can reach 8 + 15 + 10 = 33 < 35).

use super::Category;

/// Points for being relevant at all.
pub const RELEVANCE_FLOOR: f64 = 35.0;
/// Most points for an offer with capacity.
pub const OFFER_FIT: f64 = 20.0;
/// Points for serving the need's community.
pub const SAME_COMMUNITY: f64 = 20.0;
/// Points for the same subdistrict.
pub const SAME_SUBDISTRICT: f64 = 8.0;
/// Most points for credit.
pub const CREDIT: f64 = 15.0;
/// Most points for a light recent load.
pub const FAIRNESS: f64 = 10.0;
/// Points for urgency.
pub const URGENT: f64 = 10.0;
/// Points a day a need waits unclaimed.
pub const AGE_PER_DAY: f64 = 2.0;
/// Most points for age.
pub const AGE_CAP: f64 = 14.0;

/// What the score needs to know of a need.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedFacts {
    /// Category.
    pub category: Category,
    /// Community id.
    pub community_id: i64,
    /// Subdistrict name.
    pub subdistrict: String,
    /// True when urgent.
    pub urgent: bool,
    /// Hours since it was posted (or reopened).
    pub age_hours: f64,
    /// Units still unclaimed.
    pub left: i32,
}

/// One standing offer of a merchant.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferFacts {
    /// Category offered.
    pub category: Category,
    /// Communities served.
    pub communities: Vec<i64>,
    /// Capacity left this month.
    pub capacity_left: i32,
}

/// What the score needs to know of a merchant.
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantFacts {
    /// Active offers.
    pub offers: Vec<OfferFacts>,
    /// Where the shop is.
    pub community_id: Option<i64>,
    /// Its subdistrict.
    pub subdistrict: Option<String>,
    /// Credit, 0–100.
    pub credit: i32,
    /// Claims in the last 30 days.
    pub recent_claims: u32,
}

/// True when the merchant serves the need's community or has an active offer of its
/// category. The subdistrict alone is not relevance: a shop next door with nothing of the
/// kind is still the wrong shop to ask.
pub fn relevant(need: &NeedFacts, merchant: &MerchantFacts) -> bool {
    merchant.offers.iter().any(|o| o.category == need.category) || serves_community(need, merchant)
}

fn serves_community(need: &NeedFacts, merchant: &MerchantFacts) -> bool {
    merchant.community_id == Some(need.community_id)
        || merchant
            .offers
            .iter()
            .any(|o| o.communities.contains(&need.community_id))
}

/// The score of `need` for `merchant`; higher is a better fit.
pub fn score(need: &NeedFacts, merchant: &MerchantFacts) -> f64 {
    let offers: Vec<&OfferFacts> = merchant.offers.iter().filter(|o| o.category == need.category).collect();
    let serves_community = serves_community(need, merchant);
    let same_subdistrict = merchant.subdistrict.as_deref() == Some(need.subdistrict.as_str());
    let relevant = relevant(need, merchant);

    let capacity = offers.iter().map(|o| o.capacity_left.max(0)).max().unwrap_or(0);
    let fit = if need.left > 0 {
        (f64::from(capacity) / f64::from(need.left)).min(1.0)
    } else {
        0.0
    };
    let place = if serves_community {
        SAME_COMMUNITY
    } else if same_subdistrict {
        SAME_SUBDISTRICT
    } else {
        0.0
    };
    let credit = CREDIT * f64::from(merchant.credit.clamp(0, 100)) / 100.0;
    let fairness = FAIRNESS / (1.0 + f64::from(merchant.recent_claims) / 3.0);
    let urgency = if need.urgent { URGENT } else { 0.0 };
    let age = (need.age_hours.max(0.0) / 24.0 * AGE_PER_DAY).min(AGE_CAP);

    let floor = if relevant { RELEVANCE_FLOOR } else { 0.0 };
    floor + OFFER_FIT * fit + place + credit + fairness + urgency + age
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn category() -> impl Strategy<Value = Category> {
        prop::sample::select(Category::ALL.to_vec())
    }

    prop_compose! {
        fn need()(category in category(), community_id in 1..5i64, sub in 0..2u8, urgent in any::<bool>(), age_hours in 0.0..2000.0f64, left in 1..50i32) -> NeedFacts {
            NeedFacts { category, community_id, subdistrict: format!("s{sub}"), urgent, age_hours, left }
        }
    }

    prop_compose! {
        fn offer()(category in category(), communities in prop::collection::vec(1..5i64, 0..3), capacity_left in 0..20i32) -> OfferFacts {
            OfferFacts { category, communities, capacity_left }
        }
    }

    prop_compose! {
        fn merchant()(offers in prop::collection::vec(offer(), 0..4), community_id in prop::option::of(1..5i64), sub in prop::option::of(0..2u8), credit in 0..=100i32, recent_claims in 0..40u32) -> MerchantFacts {
            MerchantFacts { offers, community_id, subdistrict: sub.map(|s| format!("s{s}")), credit, recent_claims }
        }
    }

    proptest! {
        #[test]
        fn an_urgent_need_never_ranks_below_the_same_normal_one(n in need(), m in merchant()) {
            let normal = NeedFacts { urgent: false, ..n.clone() };
            let urgent = NeedFacts { urgent: true, ..n };
            prop_assert!(score(&urgent, &m) >= score(&normal, &m));
        }

        #[test]
        fn an_older_need_never_ranks_below_the_same_newer_one(n in need(), m in merchant(), extra in 0.0..5000.0f64) {
            let older = NeedFacts { age_hours: n.age_hours + extra, ..n.clone() };
            prop_assert!(score(&older, &m) >= score(&n, &m));
        }

        #[test]
        fn a_merchant_without_a_matching_offer_outside_the_area_ranks_last(n in need(), relevant in merchant(), other in merchant()) {
            // Make `other` irrelevant: no offer of the category, not in the community; it may
            // still be in the need's subdistrict.
            let other = MerchantFacts {
                offers: other.offers.into_iter().filter(|o| o.category != n.category).map(|o| OfferFacts { communities: vec![], ..o }).collect(),
                community_id: Some(99),
                ..other
            };
            let is_relevant = relevant.offers.iter().any(|o| o.category == n.category)
                || relevant.community_id == Some(n.community_id)
                || relevant.offers.iter().any(|o| o.communities.contains(&n.community_id));
            prop_assume!(is_relevant);
            prop_assert!(super::relevant(&n, &relevant) && !super::relevant(&n, &other));
            prop_assert!(score(&n, &relevant) > score(&n, &other));
        }
    }

    #[test]
    fn a_nearby_pharmacy_with_capacity_beats_a_far_one_without() {
        let need = NeedFacts {
            category: Category::Medicine,
            community_id: 1,
            subdistrict: "沙头角".into(),
            urgent: true,
            age_hours: 5.0,
            left: 2,
        };
        let near = MerchantFacts {
            offers: vec![OfferFacts {
                category: Category::Medicine,
                communities: vec![1],
                capacity_left: 4,
            }],
            community_id: Some(1),
            subdistrict: Some("沙头角".into()),
            credit: 60,
            recent_claims: 0,
        };
        let far = MerchantFacts {
            offers: vec![],
            community_id: Some(7),
            subdistrict: Some("海山".into()),
            credit: 100,
            recent_claims: 0,
        };
        assert!(score(&need, &near) > score(&need, &far) + 30.0);
    }

    #[test]
    fn a_shop_next_door_with_nothing_of_the_kind_ranks_below_a_far_one_that_offers_it_even_when_spent() {
        let need = NeedFacts {
            category: Category::Clothing,
            community_id: 1,
            subdistrict: "沙头角".into(),
            urgent: false,
            age_hours: 1.0,
            left: 1,
        };
        let next_door = MerchantFacts {
            offers: vec![],
            community_id: Some(2),
            subdistrict: Some("沙头角".into()),
            credit: 100,
            recent_claims: 0,
        };
        let spent = MerchantFacts {
            offers: vec![OfferFacts {
                category: Category::Clothing,
                communities: vec![9],
                capacity_left: 0,
            }],
            community_id: Some(9),
            subdistrict: Some("海山".into()),
            credit: 0,
            recent_claims: 40,
        };
        assert!(score(&need, &spent) > score(&need, &next_door));
    }
}
