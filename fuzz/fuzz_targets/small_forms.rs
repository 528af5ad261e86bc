//! The smaller forms, field by field: volunteer hours, an e-mail address (sign-in, staff accounts, a resident's
//! contact), a new password, a delivery confirmation (rating and handoff code) and a dispute reason. Nothing may
//! panic, and what is accepted stays within the limits the rest of the service relies on.

#![no_main]

use arbitrary::Arbitrary;
use charity_relay::domain::codes::normalize_code;
use charity_relay::domain::input::{self, FieldError};
use charity_relay::domain::password::{MAX_LEN, MIN_LEN, check_new_password};
use charity_relay::domain::pii::find_pii;
use charity_relay::domain::time::{local_date, local_midnight};
use charity_relay::services::staff::normalize_email;
use charity_relay::services::volunteers::check_hours;
use chrono::{Duration, NaiveDate};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Form<'a> {
    Hours {
        activity: &'a str,
        hours: &'a str,
        served_on: &'a str,
    },
    Email(&'a str),
    Password(&'a str),
    Confirm {
        rating: &'a str,
        handoff_code: &'a str,
    },
    Dispute(&'a str),
}

fuzz_target!(|form: Form| match form {
    Form::Hours {
        activity,
        hours,
        served_on,
    } => {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a valid date");
        let now = local_midnight(today) + Duration::hours(10);
        let Ok((activity_text, tenths, day)) = check_hours(activity, hours, served_on, now) else {
            return;
        };
        assert_eq!(activity_text, activity.trim());
        assert!((2..=200).contains(&activity_text.chars().count()));
        assert_eq!(
            find_pii(&activity_text),
            None,
            "personal data got through in {activity:?}"
        );
        assert!((1..=240).contains(&tenths), "{hours:?} read as {tenths} tenths");
        assert!(day <= local_date(now), "{served_on:?} is in the future");
        if !served_on.trim().is_empty() {
            let written = day.format("%Y-%m-%d").to_string();
            assert_eq!(written, served_on.trim(), "{served_on:?}");
            assert_eq!(written.len(), 10, "a year of more than four digits: {served_on:?}");
        }
    }
    Form::Email(raw) => {
        let Ok(email) = normalize_email(raw) else {
            return;
        };
        assert!(
            email.len() <= 254 && !email.contains(char::is_whitespace),
            "{raw:?} gave {email:?}"
        );
        assert_eq!(email.matches('@').count(), 1, "{raw:?} gave {email:?}");
        assert_eq!(
            normalize_email(&email).ok().as_ref(),
            Some(&email),
            "normalizing {raw:?} twice differs"
        );
    }
    Form::Password(password) => {
        if check_new_password(password).is_ok() {
            assert!((MIN_LEN..=MAX_LEN).contains(&password.chars().count()));
        }
    }
    Form::Confirm { rating, handoff_code } => {
        if let Ok(n) = input::number(rating, 1, 5) {
            assert!((1..=5).contains(&n) && i16::try_from(n).is_ok());
        }
        if let Some(code) = normalize_code(handoff_code) {
            assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
        }
    }
    Form::Dispute(reason) => match input::public_text(reason, 0, 500) {
        Ok(text) => assert!(text.chars().count() <= 500 && find_pii(&text).is_none(), "{reason:?}"),
        Err(FieldError::TooLong { max: 500 } | FieldError::ContainsPii(_)) => {}
        Err(other) => panic!("{reason:?} refused with {other:?}"),
    },
});
