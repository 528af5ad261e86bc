//! A new or edited need, parsed from a form or the API into valid values only.

use chrono::NaiveDate;

use super::input::{self, FieldError, FieldErrors};
use super::{Category, Quantity, Recurrence, Urgency};

/// Raw fields as typed (web form and API both map into this).
#[derive(Debug, Clone, Default)]
pub struct NeedInput {
    /// `beneficiary_id`.
    pub beneficiary_id: String,
    /// `category`.
    pub category: String,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: String,
    /// `quantity`.
    pub quantity: String,
    /// `unit`.
    pub unit: String,
    /// `deadline` as YYYY-MM-DD.
    pub deadline: String,
    /// `urgency`; empty means normal.
    pub urgency: String,
    /// `recurrence`; empty means one-off.
    pub recurrence: String,
    /// `periods`: how many periods a recurring need runs (1–24); empty means until stopped.
    pub periods: String,
    /// `claim_days`; empty means the default lease.
    pub claim_days: String,
    /// `estimated_value` in yuan; empty means unknown.
    pub estimated_value: String,
    /// `drop_off_point_id`; empty means the organization's first point.
    pub drop_off_point_id: String,
}

/// A need that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedDraft {
    /// The beneficiary it serves.
    pub beneficiary_id: i64,
    /// What kind of help.
    pub category: Category,
    /// Public title, 2–80 characters, no personal data.
    pub title: String,
    /// Public description, at most 1000 characters, no personal data.
    pub description: String,
    /// 1–10000 units.
    pub quantity: i32,
    /// The unit, 1–20 characters.
    pub unit: String,
    /// Last useful day, not before today.
    pub deadline: NaiveDate,
    /// How soon.
    pub urgency: Urgency,
    /// Whether it comes back.
    pub recurrence: Recurrence,
    /// How many periods a recurring need runs; `None` until stopped (and for a one-off need).
    pub periods: Option<i32>,
    /// Days a claimant has to deliver.
    pub claim_days: i32,
    /// Estimated value in cents, for reports.
    pub estimated_value_cents: Option<i64>,
    /// The chosen drop-off point; whether it is the organization's is checked in the service.
    pub drop_off_point_id: Option<i64>,
}

impl NeedInput {
    /// Checks every field against the rules, collecting all errors at once. `today` is the
    /// local date.
    pub fn parse(&self, today: NaiveDate) -> Result<NeedDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let beneficiary_id = errors.check("beneficiary_id", input::chosen_id(&self.beneficiary_id));
        let category = errors.check("category", input::choice::<Category>(&self.category));
        let title = errors.check("title", input::public_text(&self.title, 2, 80));
        let description = errors.check("description", input::public_text(&self.description, 0, 1000));
        let quantity = errors.check(
            "quantity",
            input::number(&self.quantity, Quantity::MIN.into(), Quantity::MAX.into()),
        );
        let unit = errors.check("unit", input::public_text(&self.unit, 1, 20));
        let deadline = errors.check("deadline", parse_deadline(&self.deadline, today));
        let urgency = errors.check("urgency", optional_choice(&self.urgency, Urgency::Normal));
        let recurrence = errors.check("recurrence", optional_choice(&self.recurrence, Recurrence::Once));
        let periods = errors.check("periods", parse_periods(&self.periods));
        let claim_days = errors.check("claim_days", optional_number(&self.claim_days, 1, 365, 7));
        let value = errors.check(
            "estimated_value",
            optional_number(&self.estimated_value, 0, 10_000_000, -1),
        );
        let drop_off = errors.check(
            "drop_off_point_id",
            optional_number(&self.drop_off_point_id, 1, i64::MAX, 0),
        );
        match (
            beneficiary_id,
            category,
            title,
            description,
            quantity,
            unit,
            deadline,
            urgency,
            recurrence,
            periods,
            claim_days,
            value,
            drop_off,
        ) {
            (
                Some(beneficiary_id),
                Some(category),
                Some(title),
                Some(description),
                Some(quantity),
                Some(unit),
                Some(deadline),
                Some(urgency),
                Some(recurrence),
                Some(periods),
                Some(claim_days),
                Some(value),
                Some(drop_off),
            ) if errors.is_empty() => Ok(NeedDraft {
                beneficiary_id,
                category,
                title,
                description,
                quantity: quantity as i32,
                unit,
                deadline,
                urgency,
                recurrence,
                periods: (recurrence != Recurrence::Once).then_some(periods).flatten(),
                claim_days: claim_days as i32,
                estimated_value_cents: (value >= 0).then_some(value * 100),
                drop_off_point_id: (drop_off > 0).then_some(drop_off),
            }),
            _ => Err(errors),
        }
    }
}

impl NeedInput {
    /// Checks the fields of an edit. An edit keeps the need's beneficiary, so the form has no such field and
    /// the draft's is a placeholder that `edit_need` never reads.
    pub fn parse_edit(&self, today: NaiveDate) -> Result<NeedDraft, FieldErrors> {
        let input = NeedInput {
            beneficiary_id: "1".into(),
            ..self.clone()
        };
        input.parse(today)
    }
}

fn parse_deadline(raw: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let date = input::date(raw)?;
    if date < today {
        Err(FieldError::DateInPast)
    } else {
        Ok(date)
    }
}

fn parse_periods(raw: &str) -> Result<Option<i32>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        let (min, max) = Recurrence::PERIODS;
        input::number(raw, min.into(), max.into()).map(|n| Some(n as i32))
    }
}

fn optional_choice<T: std::str::FromStr>(raw: &str, default: T) -> Result<T, FieldError> {
    if raw.trim().is_empty() {
        Ok(default)
    } else {
        input::choice(raw)
    }
}

fn optional_number(raw: &str, min: i64, max: i64, default: i64) -> Result<i64, FieldError> {
    if raw.trim().is_empty() {
        Ok(default)
    } else {
        input::number(raw, min, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pii::PiiKind;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
    }

    fn good() -> NeedInput {
        NeedInput {
            beneficiary_id: "3".into(),
            category: "food".into(),
            title: "米和食用油".into(),
            description: "低收入家庭本月需要大米和食用油。".into(),
            quantity: "10".into(),
            unit: "袋".into(),
            deadline: "2026-12-15".into(),
            urgency: "urgent".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_need_parses_with_defaults() {
        let draft = good().parse(today()).expect("valid");
        assert_eq!(draft.quantity, 10);
        assert_eq!(draft.urgency, Urgency::Urgent);
        assert_eq!(draft.recurrence, Recurrence::Once);
        assert_eq!(draft.claim_days, 7);
        assert_eq!(draft.estimated_value_cents, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = NeedInput {
            beneficiary_id: "".into(),
            category: "toys".into(),
            title: "米".into(),
            description: "请联系 138 0013 8000".into(),
            quantity: "10001".into(),
            unit: "".into(),
            deadline: "2026-11-30".into(),
            urgency: "soon".into(),
            ..Default::default()
        };
        let errors = bad.parse(today()).expect_err("invalid");
        assert_eq!(errors.get("beneficiary_id"), Some(&FieldError::NotChosen));
        assert_eq!(errors.get("category"), Some(&FieldError::UnknownChoice));
        assert_eq!(errors.get("title"), Some(&FieldError::TooShort { min: 2 }));
        assert_eq!(
            errors.get("description"),
            Some(&FieldError::ContainsPii(PiiKind::Phone))
        );
        assert_eq!(
            errors.get("quantity"),
            Some(&FieldError::OutOfRange { min: 1, max: 10_000 })
        );
        assert_eq!(errors.get("unit"), Some(&FieldError::Required));
        assert_eq!(errors.get("deadline"), Some(&FieldError::DateInPast));
        assert_eq!(errors.get("urgency"), Some(&FieldError::UnknownChoice));
    }

    #[test]
    fn personal_data_is_refused_in_every_public_field() {
        for (field, value) in [
            ("title", "张三 zhangsan@example.com"),
            ("description", "身份证 110105194912310025"),
        ] {
            let mut input = good();
            match field {
                "title" => input.title = value.into(),
                _ => input.description = value.into(),
            }
            let errors = input.parse(today()).expect_err("pii");
            assert!(matches!(errors.get(field), Some(FieldError::ContainsPii(_))), "{field}");
        }
    }

    #[test]
    fn a_deadline_is_taken_only_as_the_browser_writes_it() {
        // The fuzzer found "2026-12-1" accepted as 1 December; chrono is as lenient with signs, spaces and long
        // years, and "+262142-12-31" went on to overflow the near-deadline check of the alert ladder.
        for typed in [
            "2026-12-1",
            "2026-1-15",
            "2026- 12-15",
            "+2026-12-15",
            "+262142-12-31",
            "+10000-01-01",
            "15/12/2026",
        ] {
            let mut input = good();
            input.deadline = typed.into();
            assert_eq!(
                input.parse(today()).expect_err("not YYYY-MM-DD").get("deadline"),
                Some(&FieldError::NotADate),
                "{typed}"
            );
        }
        let mut input = good();
        input.deadline = " 2026-12-15 ".into();
        assert_eq!(
            input.parse(today()).map(|d| d.deadline.to_string()).as_deref(),
            Ok("2026-12-15")
        );
    }

    #[test]
    fn the_value_is_taken_in_whole_yuan_and_the_drop_off_point_is_optional() {
        let mut input = good();
        input.estimated_value = "120".into();
        input.drop_off_point_id = "4".into();
        let draft = input.parse(today()).expect("valid");
        assert_eq!(draft.estimated_value_cents, Some(12_000));
        assert_eq!(draft.drop_off_point_id, Some(4));
        input.estimated_value = "12.5".into();
        input.drop_off_point_id = "x".into();
        let errors = input.parse(today()).expect_err("invalid");
        assert_eq!(errors.get("estimated_value"), Some(&FieldError::NotANumber));
        assert_eq!(errors.get("drop_off_point_id"), Some(&FieldError::NotANumber));
        assert_eq!(good().parse(today()).map(|d| d.drop_off_point_id), Ok(None));
    }

    #[test]
    fn an_edit_needs_no_beneficiary_but_every_other_rule_holds() {
        let mut input = good();
        input.beneficiary_id = String::new();
        assert!(input.parse_edit(today()).is_ok());
        input.quantity = "0".into();
        assert_eq!(
            input.parse_edit(today()).expect_err("bad").get("quantity"),
            Some(&FieldError::OutOfRange { min: 1, max: 10_000 })
        );
    }

    #[test]
    fn a_recurring_need_runs_for_1_to_24_periods_or_until_stopped() {
        let mut input = good();
        input.recurrence = "monthly".into();
        input.periods = "12".into();
        let draft = input.parse(today()).expect("valid");
        assert_eq!((draft.recurrence, draft.periods), (Recurrence::Monthly, Some(12)));
        input.periods = String::new();
        assert_eq!(input.parse(today()).map(|d| d.periods), Ok(None));
        for bad in ["0", "25"] {
            input.periods = bad.into();
            assert_eq!(
                input.parse(today()).expect_err("out of range").get("periods"),
                Some(&FieldError::OutOfRange { min: 1, max: 24 })
            );
        }
        input.recurrence = "daily".into();
        input.periods = "3".into();
        assert_eq!(
            input.parse(today()).expect_err("unknown").get("recurrence"),
            Some(&FieldError::UnknownChoice)
        );
        // A one-off need has no periods, whatever was typed.
        input.recurrence = "none".into();
        assert_eq!(input.parse(today()).map(|d| d.periods), Ok(None));
    }

    #[test]
    fn today_is_an_acceptable_deadline_and_long_text_is_refused() {
        let mut input = good();
        input.deadline = "2026-12-01".into();
        assert!(input.parse(today()).is_ok());
        input.description = "字".repeat(1001);
        assert_eq!(
            input.parse(today()).expect_err("long").get("description"),
            Some(&FieldError::TooLong { max: 1000 })
        );
    }
}
