//! Rendering a need card as text, in the merchant's language.

use crate::desk::{Lang, NeedCard};

/// The text of a need card.
pub fn render_need_card(card: &NeedCard, lang: Lang) -> String {
    let urgent = match (card.urgent, lang) {
        (true, Lang::ZhCn) => "【紧急】",
        (true, Lang::En) => "[URGENT] ",
        (false, _) => "",
    };
    match lang {
        Lang::ZhCn => format!(
            "{urgent}{title}\n类别：{category}\n{description}\n尚缺：{left} {unit}\n社区：{community}（{group}）\n截止：{deadline}\n送达点：{drop_off}",
            title = card.title,
            category = card.category,
            description = card.description,
            left = card.quantity_left,
            unit = card.unit,
            community = card.community,
            group = card.group,
            deadline = card.deadline,
            drop_off = card.drop_off,
        ),
        Lang::En => format!(
            "{urgent}{title}\nCategory: {category}\n{description}\nStill needed: {left} {unit}\nCommunity: {community} ({group})\nDeadline: {deadline}\nDrop-off: {drop_off}",
            title = card.title,
            category = card.category,
            description = card.description,
            left = card.quantity_left,
            unit = card.unit,
            community = card.community,
            group = card.group,
            deadline = card.deadline,
            drop_off = card.drop_off,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn card() -> NeedCard {
        NeedCard {
            id: 7,
            category: "药品".into(),
            title: "降压药".into(),
            description: "一个月用量".into(),
            quantity_left: 2,
            unit: "盒".into(),
            community: "东和社区".into(),
            group: "独居老人".into(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 5).expect("date"),
            drop_off: "沙头角街道社工站".into(),
            urgent: true,
        }
    }

    #[test]
    fn card_shows_every_public_field_in_each_language() {
        let zh = render_need_card(&card(), Lang::ZhCn);
        for part in [
            "【紧急】",
            "降压药",
            "尚缺：2 盒",
            "东和社区（独居老人）",
            "2026-12-05",
            "沙头角街道社工站",
        ] {
            assert!(zh.contains(part), "{part} missing from {zh}");
        }
        let en = render_need_card(&card(), Lang::En);
        assert!(
            en.contains("[URGENT]") && en.contains("Still needed: 2 盒") && en.contains("Deadline: 2026-12-05"),
            "{en}"
        );
    }
}
