//! The beneficiary registration form as a urlencoded body, through the checks that need no database. Nothing may
//! panic; an accepted form keeps the field limits, an e-mail address only comes with consent, and the phone's
//! digest, which finds the same person registered twice, ignores how the number is written.

#![no_main]

use charity_relay::config::Secret;
use charity_relay::domain::input;
use charity_relay::services::beneficiaries::{check_input, phone_digest};
use charity_relay::services::staff::normalize_email;
use charity_relay::web::pages::BeneficiaryForm;
use libfuzzer_sys::fuzz_target;

const FIELDS: [&str; 10] = [
    "community_id",
    "group",
    "full_name",
    "phone",
    "address",
    "notes",
    "id_number",
    "notify_email",
    "notify_consent",
    "locale",
];

fuzz_target!(|body: &[u8]| {
    // As axum's `Form` reads a body: a body it refuses never reaches the checks.
    let Ok(form) = serde_urlencoded::from_bytes::<BeneficiaryForm>(body) else {
        return;
    };
    let input = form.input();
    let (community_id, checked) = check_input(&input);
    assert_eq!(
        check_input(&input),
        (community_id, checked.clone()),
        "a second check disagrees on {input:?}"
    );
    assert_eq!(community_id, input::number(&input.community_id, 1, i64::MAX).ok());
    match checked {
        Ok(draft) => {
            assert_eq!(Some(draft.community_id), community_id);
            let chars = |s: &str| s.chars().count();
            let d = &draft.details;
            assert!((1..=50).contains(&chars(&d.full_name)), "{draft:?}");
            assert!(
                chars(&d.phone) <= 30 && chars(&d.address) <= 200 && chars(&d.notes) <= 1000,
                "{draft:?}"
            );
            assert!(
                d.phone.is_empty() || d.phone.chars().filter(char::is_ascii_digit).count() >= 7,
                "{draft:?}"
            );
            for value in [&d.full_name, &d.phone, &d.address, &d.notes] {
                assert_eq!(value.as_str(), value.trim(), "{draft:?}");
            }
            if let Some(email) = &draft.email {
                assert!(input.notify_consent, "an address kept without consent: {input:?}");
                assert_eq!(
                    normalize_email(email).ok().as_ref(),
                    Some(email),
                    "{email:?} is not normalized"
                );
            }
            digest_ignores_formatting(&d.phone);
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without a reason: {input:?}");
            assert!(errors.0.iter().all(|(field, _)| FIELDS.contains(field)), "{errors:?}");
        }
    }
});

fn digest_ignores_formatting(phone: &str) {
    let secret = Secret::new("fuzzing-secret-fuzzing-secret-fuzzing");
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(
        phone_digest(&secret, phone),
        phone_digest(&secret, &digits),
        "{phone:?}"
    );
    assert_eq!(phone_digest(&secret, phone).is_some(), !digits.is_empty(), "{phone:?}");
}
