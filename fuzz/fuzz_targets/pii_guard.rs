//! The PII guard on any text: it must not panic, must give the same answer twice, and must see on the whole text
//! what it sees on any line, whatever invisible or full-width characters are mixed in.

#![no_main]

use charity_relay::domain::input::{self, FieldError};
use charity_relay::domain::pii::{PiiKind, find_pii, normalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let found = find_pii(text);
    assert_eq!(find_pii(text), found, "a second run disagrees on {text:?}");

    // A number split over lines is still one number (a card shows the lines side by side), so whatever a line
    // holds on its own the whole text holds too.
    if text.split('\n').any(|line| find_pii(line).is_some()) {
        assert!(
            found.is_some(),
            "a line has personal data the whole text hides: {text:?}"
        );
    }

    // Zero-width characters are how a number is slipped past a filter; they change nothing.
    let hidden: String = text.chars().flat_map(|c| [c, '\u{200B}']).collect();
    assert_eq!(
        find_pii(&hidden),
        found,
        "zero-width characters change the answer for {text:?}"
    );

    // A Chinese IME in full-width mode types the same number or address in other code points.
    let wide: String = text.chars().map(full_width).collect();
    assert_eq!(
        find_pii(&wide),
        found,
        "the full-width form of {text:?} is read differently"
    );

    // A finding is backed by what it needs: the digits of a number, read in any script.
    let digits = normalize(text).chars().filter(char::is_ascii_digit).count();
    match found {
        Some(PiiKind::Phone) => assert!(digits >= 7, "a phone in {digits} digits: {text:?}"),
        Some(PiiKind::IdNumber) => assert!(digits >= 14, "an ID in {digits} digits: {text:?}"),
        Some(PiiKind::Email | PiiKind::ChatId | PiiKind::Address) | None => {}
    }

    // The form check trims its value first; the spaces around a number must not hide it.
    let checked = input::public_text(text, 0, usize::MAX);
    match (found, checked) {
        (Some(kind), Err(FieldError::ContainsPii(seen))) => assert_eq!(kind, seen, "{text:?}"),
        (None, Ok(_)) => {}
        (found, checked) => panic!("the guard says {found:?} but the form check {checked:?} for {text:?}"),
    }
});

// The full-width form of printable ASCII, as an IME types it.
fn full_width(c: char) -> char {
    match c {
        '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
        ' ' => '\u{3000}',
        _ => c,
    }
}
