//! Property tests of the relay's rules: random sequences of post, claim, release, deliver,
//! confirm, dispute, resume, lapse, cancel and expire never break the invariants.

use proptest::prelude::*;

use super::{ClaimEvent, ClaimStatus, NeedCounters};

#[derive(Debug, Clone)]
enum Op {
    Claim(i32),
    Release(usize),
    Deliver(usize),
    Confirm(usize),
    Dispute(usize),
    Resume(usize),
    Lapse(usize),
    Cancel,
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1..8i32).prop_map(Op::Claim),
        1 => any::<usize>().prop_map(Op::Release),
        2 => any::<usize>().prop_map(Op::Deliver),
        2 => any::<usize>().prop_map(Op::Confirm),
        1 => any::<usize>().prop_map(Op::Dispute),
        1 => any::<usize>().prop_map(Op::Resume),
        1 => any::<usize>().prop_map(Op::Lapse),
        1 => Just(Op::Cancel),
        1 => Just(Op::Expire),
    ]
}

/// One need and its claims, changed only through the domain's functions, exactly as the
/// services change the stored rows.
struct Model {
    need: NeedCounters,
    claims: Vec<(i32, ClaimStatus)>,
}

impl Model {
    fn apply(&mut self, op: &Op) {
        let pick = |i: usize, len: usize| if len == 0 { None } else { Some(i % len) };
        match *op {
            Op::Claim(q) => {
                if let Ok(next) = self.need.claim(q) {
                    self.need = next;
                    self.claims.push((q, ClaimStatus::Active));
                }
            }
            Op::Release(i) | Op::Lapse(i) => {
                let event = if matches!(op, Op::Release(_)) {
                    ClaimEvent::Release
                } else {
                    ClaimEvent::Lapse
                };
                if let Some(i) = pick(i, self.claims.len())
                    && let Ok(to) = self.claims[i].1.apply(event)
                {
                    self.need = self.need.give_back(self.claims[i].0);
                    self.claims[i].1 = to;
                }
            }
            Op::Deliver(i) | Op::Dispute(i) | Op::Resume(i) => {
                let event = match op {
                    Op::Deliver(_) => ClaimEvent::MarkDelivered,
                    Op::Dispute(_) => ClaimEvent::Dispute,
                    _ => ClaimEvent::Resume,
                };
                if let Some(i) = pick(i, self.claims.len())
                    && let Ok(to) = self.claims[i].1.apply(event)
                {
                    self.claims[i].1 = to;
                }
            }
            Op::Confirm(i) => {
                if let Some(i) = pick(i, self.claims.len())
                    && let Ok(to) = self.claims[i].1.apply(ClaimEvent::Confirm)
                {
                    self.need = self.need.confirm_delivery(self.claims[i].0);
                    self.claims[i].1 = to;
                }
            }
            Op::Cancel | Op::Expire => {
                let ended = if matches!(op, Op::Cancel) {
                    self.need.cancel()
                } else {
                    self.need.expire()
                };
                if let Ok(next) = ended {
                    self.need = next;
                    for claim in self.claims.iter_mut() {
                        if let Ok(to) = claim.1.apply(ClaimEvent::EndWithNeed) {
                            self.need = self.need.give_back(claim.0);
                            claim.1 = to;
                        }
                    }
                }
            }
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let n = &self.need;
        prop_assert!(0 <= n.claimed && n.claimed <= n.quantity, "claimed out of range: {n:?}");
        prop_assert!(
            0 <= n.delivered && n.delivered <= n.claimed,
            "delivered out of range: {n:?}"
        );
        let live: i32 = self.claims.iter().filter(|c| c.1.is_live()).map(|c| c.0).sum();
        prop_assert_eq!(live, n.claimed, "the live claims sum to claimed");
        let confirmed: i32 = self
            .claims
            .iter()
            .filter(|c| c.1 == ClaimStatus::Confirmed)
            .map(|c| c.0)
            .sum();
        prop_assert_eq!(confirmed, n.delivered, "the confirmed claims sum to delivered");
        prop_assert!(n.is_consistent(), "status disagrees with counters: {n:?}");
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_sequence_of_moves_breaks_the_invariants(quantity in 1..30i32, ops in proptest::collection::vec(op(), 0..60)) {
        let mut model = Model { need: NeedCounters::new(quantity), claims: Vec::new() };
        model.check()?;
        for op in &ops {
            model.apply(op);
            model.check()?;
        }
    }
}
