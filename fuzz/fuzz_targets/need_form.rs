//! A need as a social worker or another system submits it: a urlencoded web form, a JSON API body, or every field of
//! the domain input set freely. Nothing may panic; an accepted need keeps every promise of `NeedDraft`, and the rest
//! of the domain can work with it; a refused one says which fields are wrong, each once.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use charity_relay::domain::Quantity;
use charity_relay::domain::alerts::{LadderPolicy, deadline_near};
use charity_relay::domain::claim::Lease;
use charity_relay::domain::need_input::{NeedDraft, NeedInput};
use charity_relay::domain::pii::find_pii;
use charity_relay::domain::time::local_midnight;
use charity_relay::domain::{Locale, NeedCounters};
use charity_relay::web::api::dto::NewNeedIn;
use charity_relay::web::pages::NeedForm;
use chrono::{Duration, NaiveDate};
use libfuzzer_sys::fuzz_target;

const FIELDS: [&str; 13] = [
    "beneficiary_id",
    "category",
    "title",
    "description",
    "quantity",
    "unit",
    "deadline",
    "urgency",
    "recurrence",
    "periods",
    "claim_days",
    "estimated_value",
    "drop_off_point_id",
];

fuzz_target!(|data: &[u8]| {
    let Some((&how, body)) = data.split_first() else {
        return;
    };
    let input = match how % 3 {
        // As axum's `Form` reads a body: a body it refuses never reaches the parser.
        0 => match serde_urlencoded::from_bytes::<NeedForm>(body) {
            Ok(form) => form.input(),
            Err(_) => return,
        },
        1 => match serde_json::from_slice::<NewNeedIn>(body) {
            Ok(need) => need.into(),
            Err(_) => return,
        },
        _ => match arbitrary_input(&mut Unstructured::new(body)) {
            Ok(input) => input,
            Err(_) => return,
        },
    };
    check(&input);
});

fn arbitrary_input(u: &mut Unstructured) -> arbitrary::Result<NeedInput> {
    Ok(NeedInput {
        beneficiary_id: String::arbitrary(u)?,
        category: String::arbitrary(u)?,
        title: String::arbitrary(u)?,
        description: String::arbitrary(u)?,
        quantity: String::arbitrary(u)?,
        unit: String::arbitrary(u)?,
        deadline: String::arbitrary(u)?,
        urgency: String::arbitrary(u)?,
        recurrence: String::arbitrary(u)?,
        periods: String::arbitrary(u)?,
        claim_days: String::arbitrary(u)?,
        estimated_value: String::arbitrary(u)?,
        drop_off_point_id: String::arbitrary(u)?,
    })
}

fn check(input: &NeedInput) {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a valid date");
    let result = input.parse(today);
    assert_eq!(input.parse(today), result, "a second parse disagrees on {input:?}");
    match result {
        Ok(draft) => accepted(input, &draft, today),
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without a reason: {input:?}");
            for (i, (field, error)) in errors.0.iter().enumerate() {
                assert!(FIELDS.contains(field), "unknown field {field}");
                assert!(
                    errors.0[..i].iter().all(|(f, _)| f != field),
                    "{field} reported twice: {errors:?}"
                );
                for locale in [Locale::ZhCn, Locale::En] {
                    assert!(!error.message(locale).is_empty());
                }
            }
        }
    }
}

fn accepted(input: &NeedInput, draft: &NeedDraft, today: NaiveDate) {
    let chars = |s: &str| s.chars().count();
    assert_eq!(draft.title, input.title.trim());
    assert!((2..=80).contains(&chars(&draft.title)), "{draft:?}");
    assert_eq!(draft.description, input.description.trim());
    assert!(chars(&draft.description) <= 1000, "{draft:?}");
    assert_eq!(draft.unit, input.unit.trim());
    assert!((1..=20).contains(&chars(&draft.unit)), "{draft:?}");
    for public in [&draft.title, &draft.description, &draft.unit] {
        assert_eq!(find_pii(public), None, "personal data got through in {public:?}");
    }
    assert!(draft.beneficiary_id >= 1);
    assert!((Quantity::MIN..=Quantity::MAX).contains(&draft.quantity), "{draft:?}");
    assert!((1..=365).contains(&draft.claim_days), "{draft:?}");
    assert!(
        draft
            .estimated_value_cents
            .is_none_or(|c| (0..=1_000_000_000).contains(&c)),
        "{draft:?}"
    );

    // The deadline is stored and compared as text on SQLite; only the canonical spelling sorts as a date does.
    assert!(draft.deadline >= today, "{draft:?}");
    let written = draft.deadline.format("%Y-%m-%d").to_string();
    assert_eq!(written, input.deadline.trim(), "{input:?}");
    assert_eq!(written.len(), 10, "a year of more than four digits: {input:?}");

    // What the form lets in, the claim, the alert ladder and the counters must be able to compute with.
    let now = local_midnight(today) + Duration::hours(10);
    let lease = Lease::new(now, i64::from(draft.claim_days), draft.deadline);
    assert!(lease.due_at >= now && lease.remind_at <= lease.due_at && lease.due_at < lease.lapse_at);
    deadline_near(&LadderPolicy::default(), draft.deadline, now);
    let counters = NeedCounters::new(draft.quantity);
    assert_eq!(counters.left(), draft.quantity);
    assert_eq!(counters.claim(draft.quantity).map(|c| c.left()), Ok(0));
}
