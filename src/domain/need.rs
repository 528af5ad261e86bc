//! Needs and claims: their states, urgency and recurrence.

text_enum! {
    /// Where a need stands (DESIGN.md).
    NeedStatus, "need status" {
        Open => ("open", "待认领", "Open"),
        FullyClaimed => ("fully_claimed", "已认领满", "Fully claimed"),
        Fulfilled => ("fulfilled", "已完成", "Fulfilled"),
        Cancelled => ("cancelled", "已取消", "Cancelled"),
        Expired => ("expired", "已过期", "Expired"),
    }
}

text_enum! {
    /// Where a claim stands (DESIGN.md).
    ClaimStatus, "claim status" {
        Active => ("active", "进行中", "Active"),
        Delivered => ("delivered", "已送达待确认", "Delivered"),
        Confirmed => ("confirmed", "已确认", "Confirmed"),
        Disputed => ("disputed", "有异议", "Disputed"),
        Released => ("released", "已放弃", "Released"),
        Lapsed => ("lapsed", "已逾期失效", "Lapsed"),
    }
}

impl ClaimStatus {
    /// A live claim still holds its quantity of the need.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            ClaimStatus::Active | ClaimStatus::Delivered | ClaimStatus::Confirmed | ClaimStatus::Disputed
        )
    }
}

text_enum! {
    /// How soon help is needed.
    Urgency, "urgency" {
        Normal => ("normal", "一般", "Normal"),
        Urgent => ("urgent", "紧急", "Urgent"),
    }
}

text_enum! {
    /// Whether a need comes back.
    Recurrence, "recurrence" {
        Once => ("none", "一次性", "One-off"),
        Weekly => ("weekly", "每周", "Weekly"),
        Monthly => ("monthly", "每月", "Monthly"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_claims_are_those_holding_quantity() {
        let live: Vec<_> = ClaimStatus::ALL.iter().filter(|s| s.is_live()).collect();
        assert_eq!(live.len(), 4);
        assert!(!ClaimStatus::Released.is_live() && !ClaimStatus::Lapsed.is_live());
    }
}
