//! Callback data as Telegram delivers it: any bytes a client sends. Whatever the strict v1 parser accepts must be
//! exactly what the bot itself would have written for that action, and fit Telegram's 64-byte limit.

#![no_main]

use bots::callback::{Action, MAX_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Telegram hands the bot a string; bytes that are not UTF-8 never arrive, but the lossy form still probes.
    let text = String::from_utf8_lossy(data);
    let Some(action) = Action::parse(&text) else {
        return;
    };
    assert!(text.len() <= MAX_LEN, "accepted {} bytes: {text:?}", text.len());
    assert_eq!(action.encode(), text, "accepted a spelling the bot never writes");
    assert_eq!(Action::parse(&action.encode()).as_ref(), Some(&action), "{text:?}");
});
