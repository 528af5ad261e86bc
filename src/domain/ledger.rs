//! The relief ledger (微爱1+1): what a person received, from the relay or recorded by hand, and the
//! arithmetic of its totals. Money is kept in fen (1/100 yuan) as whole numbers.

use chrono::{Datelike, Months, NaiveDate};

use super::Category;
use super::input::{self, FieldError, FieldErrors};

text_enum! {
    /// Who gave the support: the government or society (the relay's merchants are society).
    ReliefKind, "relief kind" {
        Government => ("government", "政府救助", "Government relief"),
        Social => ("social", "社会帮扶", "Social support"),
    }
}

text_enum! {
    /// Whether the support comes regularly or once.
    Regularity, "regularity" {
        Regular => ("regular", "常态救助", "Regular"),
        Temporary => ("temporary", "临时救助", "Temporary"),
    }
}

text_enum! {
    /// What form the support takes.
    ReliefForm, "relief form" {
        Material => ("material", "物资", "Material"),
        Service => ("service", "服务", "Service"),
        Money => ("money", "资金", "Money"),
    }
}

/// The largest amount one entry may hold: 10 million yuan, in fen.
pub const MAX_FEN: i64 = 1_000_000_000;
/// Most characters of an entry's description.
pub const DESCRIPTION_MAX: usize = 200;

/// Reads an amount of yuan with at most two decimals ("500", "1234.5", "1,234.50") into fen; it must be
/// more than 0 and at most [`MAX_FEN`].
pub fn parse_fen(raw: &str) -> Result<i64, FieldError> {
    let value: String = raw.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    let value = value.strip_prefix('¥').unwrap_or(&value).trim();
    if value.is_empty() {
        return Err(FieldError::Required);
    }
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || decimals.len() > 2 || !digits_only(whole) || !digits_only(decimals) {
        return Err(FieldError::NotAnAmount);
    }
    let whole: i64 = whole.parse().map_err(|_| FieldError::NotAnAmount)?;
    let cents: i64 = format!("{decimals:0<2}").parse().map_err(|_| FieldError::NotAnAmount)?;
    let fen = whole * 100 + cents;
    if fen <= 0 || fen > MAX_FEN {
        return Err(FieldError::NotAnAmount);
    }
    Ok(fen)
}

/// Fen as yuan with two decimals and thousands separators: `1,234.50`.
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

/// The days a hand entry covers: `from..=to`, never backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day (the first, for support given once).
    pub to: NaiveDate,
}

impl Period {
    /// The period of `from..=to`; an empty `to` means the one day `from`.
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Self, FieldError> {
        let to = to.unwrap_or(from);
        if to < from {
            return Err(FieldError::EndsBeforeStart);
        }
        Ok(Period { from, to })
    }
}

/// The form a delivery of the relay takes, by the need's category.
pub fn form_of_category(category: Category) -> ReliefForm {
    match category {
        Category::Funds => ReliefForm::Money,
        Category::Service | Category::Tutoring | Category::VolunteerHours => ReliefForm::Service,
        Category::Food | Category::DailyGoods | Category::Clothing | Category::Medicine | Category::Other => {
            ReliefForm::Material
        }
    }
}

/// The fields of a hand entry, as typed (web form or API).
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    /// `kind`: government or social.
    pub kind: String,
    /// `regularity`: regular or temporary.
    pub regularity: String,
    /// `form`: material, service or money.
    pub form: String,
    /// `programme_id`: a row of the programme list.
    pub programme_id: String,
    /// `amount` in yuan.
    pub amount: String,
    /// `period_from` (YYYY-MM-DD).
    pub period_from: String,
    /// `period_to` (YYYY-MM-DD), empty for one day.
    pub period_to: String,
    /// `description`: a short internal note.
    pub description: String,
}

/// A hand entry that passed every check needing no database (whether the programme exists is the
/// service's to check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDraft {
    /// Who gave it.
    pub kind: ReliefKind,
    /// Regular or once.
    pub regularity: Regularity,
    /// Its form.
    pub form: ReliefForm,
    /// The programme's id.
    pub programme_id: i64,
    /// Amount or value, in fen.
    pub amount_fen: i64,
    /// The days it covers.
    pub period: Period,
    /// The note, free of identity (see [`EntryInput::parse`]).
    pub description: String,
}

impl EntryInput {
    /// Checks every field, collecting each error beside its field. The description goes through the identity
    /// guard although only the owning organization reads it: ledger figures outlive a closed case's personal
    /// data (they stay for reports), so nothing identifying may be written into them.
    pub fn parse(&self) -> Result<EntryDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = errors.check("kind", chosen(&self.kind));
        let regularity = errors.check("regularity", chosen(&self.regularity));
        let form = errors.check("form", chosen(&self.form));
        let programme_id = errors.check("programme_id", input::chosen_id(&self.programme_id));
        let amount_fen = errors.check("amount", parse_fen(&self.amount));
        let from = errors.check("period_from", input::date(&self.period_from));
        let to = match self.period_to.trim() {
            "" => Some(None),
            raw => errors.check("period_to", input::date(raw)).map(Some),
        };
        let period = match (from, to) {
            (Some(from), Some(to)) => errors.check("period_to", Period::new(from, to)),
            _ => None,
        };
        let description = errors.check("description", input::public_text(&self.description, 0, DESCRIPTION_MAX));
        match (kind, regularity, form, programme_id, amount_fen, period, description) {
            (
                Some(kind),
                Some(regularity),
                Some(form),
                Some(programme_id),
                Some(amount_fen),
                Some(period),
                Some(description),
            ) if errors.is_empty() => Ok(EntryDraft {
                kind,
                regularity,
                form,
                programme_id,
                amount_fen,
                period,
                description,
            }),
            _ => Err(errors),
        }
    }
}

/// One of an enum's values from a `<select>` or the API; nothing chosen is its own error.
fn chosen<T: std::str::FromStr>(raw: &str) -> Result<T, FieldError> {
    match raw.trim() {
        "" => Err(FieldError::NotChosen),
        value => input::choice(value),
    }
}

/// One amount of the ledger, for its totals: the day it counts on, who gave it, its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    /// The day it counts on (a delivery's confirmation, an entry's first day).
    pub on: NaiveDate,
    /// Who gave it.
    pub kind: ReliefKind,
    /// Its form.
    pub form: ReliefForm,
    /// Fen; a delivery without an estimated value counts 0.
    pub fen: i64,
}

/// Fen per calendar year, newest year first.
pub fn totals_per_year(figures: &[Figure]) -> Vec<(i32, i64)> {
    let mut years = std::collections::BTreeMap::<i32, i64>::new();
    for f in figures {
        *years.entry(f.on.year()).or_default() += f.fen;
    }
    years.into_iter().rev().collect()
}

/// The last twelve months by kind × form: `grid[kind][form]` in the order of `ReliefKind::ALL` and
/// `ReliefForm::ALL`, counting figures after the same day a year before `today`, up to `today`.
pub fn last_twelve_months(figures: &[Figure], today: NaiveDate) -> [[i64; 3]; 2] {
    let start = today.checked_sub_months(Months::new(12)).unwrap_or(NaiveDate::MIN);
    let mut grid = [[0i64; 3]; 2];
    for f in figures.iter().filter(|f| f.on > start && f.on <= today) {
        let k = ReliefKind::ALL.iter().position(|k| *k == f.kind).unwrap_or(0);
        let m = ReliefForm::ALL.iter().position(|m| *m == f.form).unwrap_or(0);
        grid[k][m] += f.fen;
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn amounts_read_as_fen_with_at_most_two_decimals() {
        assert_eq!(parse_fen("500"), Ok(50_000));
        assert_eq!(parse_fen(" 1,234.5 "), Ok(123_450));
        assert_eq!(parse_fen("¥0.01"), Ok(1));
        assert_eq!(parse_fen("10000000"), Ok(MAX_FEN));
        assert_eq!(parse_fen(""), Err(FieldError::Required));
        for bad in ["0", "0.00", "-5", "1.234", "abc", "1e5", "10000000.01", ".5", "１２"] {
            assert_eq!(parse_fen(bad), Err(FieldError::NotAnAmount), "{bad}");
        }
    }

    #[test]
    fn yuan_are_shown_with_separators_and_two_decimals() {
        assert_eq!(format_yuan(0), "0.00");
        assert_eq!(format_yuan(5), "0.05");
        assert_eq!(format_yuan(123_450), "1,234.50");
        assert_eq!(format_yuan(MAX_FEN), "10,000,000.00");
        assert_eq!(format_yuan(-100), "-1.00");
    }

    #[test]
    fn a_period_never_runs_backwards() {
        assert_eq!(
            Period::new(d("2026-01-01"), None),
            Ok(Period {
                from: d("2026-01-01"),
                to: d("2026-01-01")
            })
        );
        assert!(Period::new(d("2026-01-01"), Some(d("2026-12-31"))).is_ok());
        assert_eq!(
            Period::new(d("2026-02-01"), Some(d("2026-01-31"))),
            Err(FieldError::EndsBeforeStart)
        );
    }

    #[test]
    fn every_field_reports_its_own_error() {
        let bad = EntryInput {
            kind: String::new(),
            regularity: "sometimes".into(),
            form: "money".into(),
            programme_id: "x".into(),
            amount: "12.345".into(),
            period_from: "2026-03-01".into(),
            period_to: "2026-02-01".into(),
            description: "电话 13912345678".into(),
        };
        let errors = bad.parse().expect_err("invalid");
        assert_eq!(errors.get("kind"), Some(&FieldError::NotChosen));
        assert_eq!(errors.get("regularity"), Some(&FieldError::UnknownChoice));
        assert_eq!(errors.get("form"), None);
        assert_eq!(errors.get("programme_id"), Some(&FieldError::UnknownChoice));
        assert_eq!(errors.get("amount"), Some(&FieldError::NotAnAmount));
        assert_eq!(errors.get("period_to"), Some(&FieldError::EndsBeforeStart));
        assert!(matches!(errors.get("description"), Some(FieldError::ContainsPii(_))));
        let good = EntryInput {
            kind: "government".into(),
            regularity: "regular".into(),
            form: "money".into(),
            programme_id: "1".into(),
            amount: "1200".into(),
            period_from: "2026-01-01".into(),
            period_to: String::new(),
            description: "一月低保金".into(),
        };
        let draft = good.parse().expect("valid");
        assert_eq!(draft.amount_fen, 120_000);
        assert_eq!(draft.period.to, d("2026-01-01"));
    }

    #[test]
    fn deliveries_take_the_form_of_their_category() {
        assert_eq!(form_of_category(Category::Funds), ReliefForm::Money);
        assert_eq!(form_of_category(Category::Tutoring), ReliefForm::Service);
        assert_eq!(form_of_category(Category::Food), ReliefForm::Material);
    }

    #[test]
    fn totals_add_up_per_year_and_over_the_last_twelve_months() {
        let f = |on: &str, kind, form, fen| Figure {
            on: d(on),
            kind,
            form,
            fen,
        };
        let figures = [
            f("2025-12-07", ReliefKind::Government, ReliefForm::Money, 100),
            f("2025-12-08", ReliefKind::Government, ReliefForm::Money, 200),
            f("2026-06-01", ReliefKind::Social, ReliefForm::Material, 50),
            f("2026-12-07", ReliefKind::Social, ReliefForm::Service, 7),
            f("2026-12-08", ReliefKind::Social, ReliefForm::Service, 1000),
        ];
        assert_eq!(totals_per_year(&figures), vec![(2026, 1057), (2025, 300)]);
        let grid = last_twelve_months(&figures, d("2026-12-07"));
        assert_eq!(grid, [[0, 0, 200], [50, 7, 0]]);
        for k in ReliefKind::ALL {
            assert_ne!(k.label(crate::domain::Locale::ZhCn), k.label(crate::domain::Locale::En));
        }
    }
}
