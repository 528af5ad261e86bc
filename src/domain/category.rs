//! What a need asks for.

text_enum! {
    /// The kind of help a need asks for.
    Category, "category" {
        Food => ("food", "食品", "Food"),
        DailyGoods => ("daily_goods", "日用品", "Daily goods"),
        Clothing => ("clothing", "衣物", "Clothing"),
        Medicine => ("medicine", "药品", "Medicine"),
        /// Haircut, repair, cleaning and the like.
        Service => ("service", "上门服务", "Service"),
        Tutoring => ("tutoring", "课业辅导", "Tutoring"),
        Funds => ("funds", "资金", "Funds"),
        VolunteerHours => ("volunteer_hours", "志愿时长", "Volunteer hours"),
        Other => ("other", "其他", "Other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Locale;

    #[test]
    fn every_category_round_trips_and_has_both_labels() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
            assert!(!c.label(Locale::ZhCn).is_empty());
            assert_ne!(c.label(Locale::ZhCn), c.label(Locale::En));
        }
        let err = "toys".parse::<Category>().expect_err("unknown");
        assert!(err.to_string().contains("food"), "{err}");
    }
}
