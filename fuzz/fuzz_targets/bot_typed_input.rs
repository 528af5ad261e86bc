//! Lines a merchant types to the bot: commands (a poster's `/start need-<id>` too), a quantity to claim or a daily cap, quiet hours, a link code, a
//! language. None may panic; what is accepted reads back the same, and the bot never accepts quiet hours that the
//! service behind it would refuse.

#![no_main]

use bots::Locale;
use bots::command::{Command, need_payload, need_payload_of};
use bots::dialogue::{parse_quiet_hours, whole_number};
use charity_relay::domain::alerts::QuietHours;
use charity_relay::domain::codes::{UNAMBIGUOUS_ALPHABET, normalize_code};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    let command = Command::parse(line, None);
    if command.is_some() {
        assert!(line.trim().starts_with('/'), "{line:?} read as {command:?}");
    }
    // The bot's own name only matters to a command addressed with @.
    let head = line.trim().split(char::is_whitespace).next().unwrap_or_default();
    if !head.contains('@') {
        assert_eq!(Command::parse(line, Some("relay_bot")), command, "{line:?}");
    }

    // A poster's deep link (`/start need-<id>`): an id is positive and reads back the same;
    // a malformed one is still a need link (never a link code, never a panic).
    if let Some(Command::StartNeed(Some(id))) = &command {
        assert!(*id >= 1, "{line:?} read as need {id}");
        assert_eq!(need_payload(&need_payload_of(*id)), Some(Some(*id)));
    }
    if let Some(Some(id)) = need_payload(line) {
        assert!(id >= 1 && line.len() <= "need-".len() + 18, "{line:?} read as need {id}");
    }

    // A quantity to claim, a daily cap, a capacity: at most 9 digits, full-width ones included.
    if let Some(n) = whole_number(line) {
        assert!((0..=999_999_999).contains(&n), "{line:?} read as {n}");
        assert_eq!(whole_number(&n.to_string()), Some(n));
    }

    if let Some(Some((start, end))) = parse_quiet_hours(line) {
        assert!(
            QuietHours::new(start, end).is_ok(),
            "{line:?} read as {start}-{end}, which the service refuses"
        );
        let written = format!("{:02}:{:02}-{:02}:{:02}", start / 60, start % 60, end / 60, end % 60);
        assert_eq!(
            parse_quiet_hours(&written),
            Some(Some((start, end))),
            "{line:?} as {written:?}"
        );
    }

    // A link code from /start, or a handoff code.
    if let Some(code) = normalize_code(line) {
        assert!(
            code.bytes().all(|b| UNAMBIGUOUS_ALPHABET.contains(&b)),
            "{line:?} gave {code:?}"
        );
        assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
    }

    if let Some(lang) = Locale::from_choice(line) {
        assert_eq!(Locale::from_choice(lang.as_str()), Some(lang), "{line:?}");
    }
});
