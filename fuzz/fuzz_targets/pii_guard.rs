//! The PII guard on any text: it must not panic, must give the same answer twice, and its answer must follow from
//! the text line by line, whatever invisible or full-width characters are mixed in.

#![no_main]

use charity_relay::domain::input::{self, FieldError};
use charity_relay::domain::pii::{PiiKind, find_pii};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let found = find_pii(text);
    assert_eq!(find_pii(text), found, "a second run disagrees on {text:?}");

    // Neither an e-mail address nor a digit run crosses a line break, so the answer is the first line's that has
    // one. A number split over lines must never be read as one, and nothing on a later line may mask an earlier one.
    let by_line = text.split('\n').find_map(find_pii);
    assert_eq!(found, by_line, "the whole text and its lines disagree on {text:?}");

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

    // A finding is backed by what it needs: the digits of a number, the @ of an address.
    let digits = text
        .chars()
        .filter(|c| c.is_ascii_digit() || ('０'..='９').contains(c))
        .count();
    match found {
        Some(PiiKind::Phone) => assert!(digits >= 10, "a phone in {digits} digits: {text:?}"),
        Some(PiiKind::IdNumber) => assert!(digits >= 17, "an ID in {digits} digits: {text:?}"),
        Some(PiiKind::Email) => assert!(text.contains(['@', '＠']), "an e-mail without @: {text:?}"),
        None => {}
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
