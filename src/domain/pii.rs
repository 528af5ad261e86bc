//! The PII guard: every merchant can read a need's public text, so that text must never carry the phone number,
//! resident ID number, e-mail address, chat id or home address of anyone — least of all of the person the need is
//! for, whose registered name, phone and address are compared too ([`PersonMarks`]).
//!
//! Everything is read after one normalization ([`normalize`]): invisible characters dropped, Unicode NFKC (full-width
//! and compatibility forms, circled and mathematical digits), the decimal digits of every script as ASCII, and
//! Chinese numerals (〇一二三四五六七八九零幺两 and the banker's forms) as ASCII wherever they form a run of at least
//! [`MIN_CHINESE_RUN`] digits — so "一袋米" and "三口之家" stay words. A number split by any run of punctuation,
//! symbols or spaces is read as one: its digit groups are joined whatever stands between them.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// What kind of personal data was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiKind {
    /// A mobile or landline number of the mainland, Hong Kong, Macau or Taiwan.
    Phone,
    /// A resident identity card number, 18 or 15 digits.
    IdNumber,
    /// An e-mail address, also spelled out ("wangli at 163 dot com").
    Email,
    /// A WeChat or QQ id written after its name ("微信 zhangsan_1980").
    ChatId,
    /// A street address: road and number, building, unit or room.
    Address,
}

/// Fewest digits a run of Chinese numerals needs before it is read as a number.
pub const MIN_CHINESE_RUN: usize = 7;

/// The first kind of personal data found in `text`, if any.
pub fn find_pii(text: &str) -> Option<PiiKind> {
    let text = normalize(text);
    // On a tie ("13800138000@163.com") the e-mail is the wider reading, and `min_by_key` keeps the first minimum.
    [
        find_email(&text),
        find_number(&text),
        find_chat_id(&text),
        find_address(&text),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|&(start, _)| start)
    .map(|(_, kind)| kind)
}

/// The text as the guard reads it: invisible characters dropped, NFKC, every decimal digit as ASCII and Chinese
/// numerals in long runs as ASCII digits. Letters keep their case.
pub fn normalize(text: &str) -> String {
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars().filter(|&c| !is_invisible(c)).nfkc() {
        fold_digit(c, &mut chars);
    }
    chinese_numerals(&mut chars);
    chars.into_iter().collect()
}

// Characters that show nothing, used to split a number or a word so that a filter misses it.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{20E3}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

// The first code point (digit zero) of every block of ten decimal digits (general category Nd) in Unicode 16, in
// order. Generated from the Unicode Character Database; a unit test checks each block is numeric.
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
    0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136,
    0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0,
    0x11C50, 0x11D50, 0x11DA0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE, 0x1D7D8,
    0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

/// The value of a decimal digit of any script.
pub fn decimal_digit(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    if !c.is_numeric() {
        return None;
    }
    let code = u32::from(c);
    let block = DIGIT_ZEROS.partition_point(|&zero| zero <= code).checked_sub(1)?;
    let value = code - DIGIT_ZEROS[block];
    (value < 10).then_some(value)
}

// Appends `c` with every digit as ASCII: the decimal digits of all scripts, and the dingbat circled digits that NFKC
// leaves alone (❶, ➀, ➊, ⓫, ⓵).
fn fold_digit(c: char, out: &mut Vec<char>) {
    let code = u32::from(c);
    let circled = match code {
        0x2776..=0x277F => Some(code - 0x2776 + 1),
        0x2780..=0x2789 => Some(code - 0x2780 + 1),
        0x278A..=0x2793 => Some(code - 0x278A + 1),
        0x24EB..=0x24F4 => Some(code - 0x24EB + 11),
        0x24F5..=0x24FE => Some(code - 0x24F5 + 1),
        0x24FF => Some(0),
        _ => None,
    };
    let value = circled.or_else(|| decimal_digit(c).filter(|_| !c.is_ascii_digit()));
    match value {
        Some(v) => out.extend(v.to_string().chars()),
        None => out.push(c),
    }
}

/// The digit a Chinese numeral stands for when a number is read out digit by digit.
pub fn chinese_digit(c: char) -> Option<u8> {
    Some(match c {
        '〇' | '零' => 0,
        '一' | '幺' | '壹' => 1,
        '二' | '两' | '兩' | '贰' | '貳' => 2,
        '三' | '叁' | '參' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

// Chinese numerals become digits only inside a run of at least MIN_CHINESE_RUN digits (numerals or ASCII, split by
// nothing but punctuation or spaces): a phone or ID read out digit by digit, never "一袋米" or "两箱".
fn chinese_numerals(chars: &mut [char]) {
    let digit_like = |c: char| c.is_ascii_digit() || chinese_digit(c).is_some();
    let mut i = 0;
    while i < chars.len() {
        if !digit_like(chars[i]) {
            i += 1;
            continue;
        }
        let (start, mut last, mut count, mut chinese) = (i, i, 0, false);
        for (j, &c) in chars.iter().enumerate().skip(i) {
            if digit_like(c) {
                count += 1;
                chinese |= !c.is_ascii_digit();
                last = j;
            } else if c.is_alphanumeric() {
                break;
            }
        }
        if chinese && count >= MIN_CHINESE_RUN {
            for c in &mut chars[start..=last] {
                if let Some(d) = chinese_digit(*c) {
                    *c = char::from(b'0' + d);
                }
            }
        }
        i = last + 1;
    }
}

// One group of digits in the normalized text, possibly ending in the X check character of an ID.
#[derive(Debug, Clone, Copy)]
struct Group<'a> {
    start: usize,
    digits: &'a str,
    // What stands between the previous group (or letter) and this one: only punctuation, symbols and spaces.
    before: &'a str,
}

// Digit groups that follow one another with nothing but punctuation, symbols or spaces between them: the pieces of
// what may be one number however it was split.
fn digit_runs(text: &str) -> Vec<Vec<Group<'_>>> {
    let mut runs = Vec::new();
    let mut run: Vec<Group<'_>> = Vec::new();
    let mut gap_start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            // X is the check character of an ID only when no letter or digit follows it.
            if let Some(&(j, 'X' | 'x')) = chars.peek()
                && text[j + 1..].chars().next().is_none_or(|n| !n.is_alphanumeric())
            {
                end = j + 1;
                chars.next();
            }
            run.push(Group {
                start: i,
                digits: &text[i..end],
                before: &text[gap_start..i],
            });
            gap_start = end;
        } else if c.is_alphanumeric() {
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            gap_start = i + c.len_utf8();
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

// Most digits a number with its country code can have: an ID has 18 characters, "00852" plus 8 digits 13, "0086"
// plus a 12-digit landline 16.
const MAX_SPAN: usize = 20;

// Every stretch of consecutive groups of every run is tried, so a number written right after a date or a quantity
// ("2026-12-05 13800138000") is still seen on its own. Returns where the first one starts.
fn find_number(text: &str) -> Option<(usize, PiiKind)> {
    for run in digit_runs(text) {
        let harmless = harmless_spans(&run);
        for first in 0..run.len() {
            let mut digits = String::new();
            for last in first..run.len() {
                if digits.ends_with(['X', 'x']) {
                    break;
                }
                digits.push_str(run[last].digits);
                if digits.len() > MAX_SPAN {
                    break;
                }
                // A window that cuts a date, a time or a price in two is not read as a landline or an ID, so that
                // "2026-01-05 9:30-11:30" never becomes "01059301130"; a mobile is distinctive enough to be read
                // even so.
                // So is a window made of dates, times and prices only ("0.50 0.80 1.20 2.50").
                let cuts = harmless
                    .iter()
                    .any(|&(a, b)| (a < first && first <= b) || (a <= last && last < b))
                    || tiled(&harmless, first, last);
                let window = Window {
                    groups: &run[first..=last],
                    digits: &digits,
                    plus: run[first].before.contains('+'),
                };
                if let Some(kind) = window.classify(cuts) {
                    return Some((run[first].start, kind));
                }
            }
        }
    }
    find_after_phone_word(text)
}

// Dates (2026-12-05), times (14:30, 9:00:00) and prices (35.50) inside a run, as inclusive ranges of group indexes.
fn harmless_spans(run: &[Group<'_>]) -> Vec<(usize, usize)> {
    let value = |g: &Group<'_>| g.digits.parse::<u32>().ok();
    let mut spans = Vec::new();
    for (i, g) in run.iter().enumerate() {
        let next = |k: usize| run.get(i + k);
        // A date: a year of four digits, then month and day split by the same '-', '/' or '.'.
        if let (Some(month), Some(day)) = (next(1), next(2))
            && g.digits.len() == 4
            && (1900..=2099).contains(&value(g).unwrap_or(0))
            && ["-", "/", "."].contains(&month.before)
            && day.before == month.before
            && month.digits.len() <= 2
            && day.digits.len() <= 2
            && (1..=12).contains(&value(month).unwrap_or(0))
            && (1..=31).contains(&value(day).unwrap_or(0))
        {
            spans.push((i, i + 2));
        }
        // A time: hours, then minutes (and seconds) after a colon; not one link of a longer chain of colons.
        if let Some(minutes) = next(1)
            && g.before != ":"
            && g.digits.len() <= 2
            && value(g).is_some_and(|h| h <= 24)
            && minutes.before == ":"
            && minutes.digits.len() == 2
            && value(minutes).is_some_and(|m| m < 60)
        {
            match next(2) {
                Some(seconds) if seconds.before == ":" => {
                    if seconds.digits.len() == 2 && next(3).is_none_or(|n| n.before != ":") {
                        spans.push((i, i + 2));
                    }
                }
                _ => spans.push((i, i + 1)),
            }
        }
        // A price or a measure: at most three digits, a point and one or two decimals, with no other point around.
        if let Some(decimals) = next(1)
            && g.before != "."
            && g.digits.len() <= 3
            && decimals.before == "."
            && decimals.digits.len() <= 2
            && next(2).is_none_or(|n| n.before != ".")
        {
            spans.push((i, i + 1));
        }
    }
    spans
}

// True when groups `first..=last` are exactly a sequence of harmless spans, one after the other.
fn tiled(harmless: &[(usize, usize)], first: usize, last: usize) -> bool {
    let mut at = first;
    while at <= last {
        match harmless.iter().find(|&&(a, b)| a == at && b <= last) {
            Some(&(_, b)) => at = b + 1,
            None => return false,
        }
    }
    true
}

// A stretch of consecutive digit groups, read as one number.
struct Window<'a, 'b> {
    groups: &'b [Group<'a>],
    digits: &'b str,
    // A '+' stands before the first group: a country code follows.
    plus: bool,
}

impl Window<'_, '_> {
    fn classify(&self, cuts_harmless: bool) -> Option<PiiKind> {
        let digits = self.digits;
        if digits.ends_with(['X', 'x']) {
            return (!cuts_harmless && is_id18(digits)).then_some(PiiKind::IdNumber);
        }
        if !cuts_harmless && (is_id18(digits) || is_id15(digits)) {
            return Some(PiiKind::IdNumber);
        }
        if self.is_mobile() || (!cuts_harmless && self.is_other_phone()) {
            return Some(PiiKind::Phone);
        }
        None
    }

    // The country code at the front, written as "+CC", "00CC" or "CC" set apart as a group of its own.
    fn after_country(&self, code: &str) -> Option<&str> {
        if let Some(rest) = self.digits.strip_prefix("00").and_then(|d| d.strip_prefix(code)) {
            return Some(rest);
        }
        let marked = self.plus || self.groups.first().is_some_and(|g| g.digits == code);
        self.digits.strip_prefix(code).filter(|_| marked)
    }

    // A mainland mobile: 11 digits from 1[3-9], perhaps after a trunk 0 or the country code 86. A bare "86" run into
    // the digits counts too: no 13-digit number starting 861[3-9] is anything else in a need.
    fn is_mobile(&self) -> bool {
        let national = self
            .digits
            .strip_prefix("0086")
            .or_else(|| self.digits.strip_prefix("86"))
            .filter(|rest| rest.len() >= 11)
            .unwrap_or(self.digits);
        is_mobile(national) || national.strip_prefix('0').is_some_and(is_mobile)
    }

    fn is_other_phone(&self) -> bool {
        let digits = self.digits;
        // Mainland landline: trunk 0, area code, local number.
        if digits.strip_prefix('0').is_some_and(is_landline) {
            return true;
        }
        // After +86 the trunk 0 is dropped, or kept in parentheses: "+86 (0)755 …".
        if let Some(national) = self.after_country("86")
            && (is_landline(national) || national.strip_prefix('0').is_some_and(is_landline))
        {
            return true;
        }
        // Hong Kong and Macau: eight digits after +852 / +853.
        if ["852", "853"].iter().any(|code| {
            self.after_country(code)
                .is_some_and(|rest| rest.len() == 8 && rest.starts_with(['2', '3', '4', '5', '6', '7', '8', '9']))
        }) {
            return true;
        }
        // Taiwan: a mobile 09 + 8 digits; after +886 the 0 is dropped (9 + 8 digits, or a landline of 8-9 digits).
        if digits.len() == 10 && digits.starts_with("09") {
            return true;
        }
        if self
            .after_country("886")
            .is_some_and(|rest| (8..=9).contains(&rest.len()) && !rest.starts_with(['0', '1']))
        {
            return true;
        }
        // Any other number written with a '+' and a country code.
        self.plus && !digits.starts_with('0') && (10..=15).contains(&digits.len())
    }
}

// Digits written right after a word that announces a phone number ("电话 2345 6789", "tel: 2345678"): a local
// number without its area code is still a phone number there.
fn find_after_phone_word(text: &str) -> Option<(usize, PiiKind)> {
    static PHONE_WORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:电话|手机|座机|致电|拨打|来电|热线|tel|phone|mobile|whatsapp|call)[^\p{L}\p{N}]*(?:号码|号|no|number)?[^\p{L}\p{N}]*[0-9](?:[^\p{L}\p{N}\n]*[0-9]){6}",
        )
        .expect("static phone-word pattern")
    });
    PHONE_WORD.find(text).map(|m| (m.start(), PiiKind::Phone))
}

// 11 digits starting 1[3-9], the mainland mobile ranges.
fn is_mobile(digits: &str) -> bool {
    matches!(digits.as_bytes(), [b'1', b'3'..=b'9', ..]) && digits.len() == 11 && is_digits(digits)
}

// An area code without its trunk 0 followed by a 7- or 8-digit local number.
fn is_landline(national: &str) -> bool {
    is_digits(national) && area_code_len(national).is_some_and(|area| (area + 7..=area + 8).contains(&national.len()))
}

// Beijing (10) and the 2x cities have 2-digit area codes; every other area code has 3 digits starting 3-9.
fn area_code_len(national: &str) -> Option<usize> {
    match national.as_bytes() {
        [b'1', b'0', ..] | [b'2', b'0'..=b'9', ..] => Some(2),
        [b'3'..=b'9', b'0'..=b'9', b'0'..=b'9', ..] => Some(3),
        _ => None,
    }
}

// The first two digits of an ID: a province-level division (GB/T 2260), or 83 for Hong Kong, Macau and Taiwan
// residents' permits, 91 for foreigners' permanent residence.
fn is_province(id: &str) -> bool {
    matches!(
        id.get(..2).and_then(|p| p.parse::<u32>().ok()),
        Some(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83 | 91)
    )
}

// 17 digits and a check character; a typo in the check character must not let an ID through, so a plausible
// birth date is enough on its own.
fn is_id18(id: &str) -> bool {
    let [body @ .., check] = id.as_bytes() else {
        return false;
    };
    id.len() == 18
        && body.iter().all(u8::is_ascii_digit)
        && (check.is_ascii_digit() || check.eq_ignore_ascii_case(&b'X'))
        && is_province(id)
        && (checksum_matches(body, *check) || id.get(6..14).is_some_and(is_birth_date))
}

// The first-generation ID: 15 digits, the birth date as YYMMDD of the 1900s, no check character.
fn is_id15(id: &str) -> bool {
    id.len() == 15
        && is_digits(id)
        && is_province(id)
        && id
            .get(6..12)
            .is_some_and(|yymmdd| is_birth_date(&format!("19{yymmdd}")))
}

// ISO 7064 MOD 11-2, which GB 11643 uses for the 18th character.
fn checksum_matches(body: &[u8], check: u8) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECKS
        .get((sum % 11) as usize)
        .is_some_and(|c| c.eq_ignore_ascii_case(&check))
}

// YYYYMMDD of someone alive or about to be born.
fn is_birth_date(yyyymmdd: &str) -> bool {
    let year = yyyymmdd.get(0..4).and_then(|p| p.parse::<i32>().ok());
    let month = yyyymmdd.get(4..6).and_then(|p| p.parse::<u32>().ok());
    let day = yyyymmdd.get(6..8).and_then(|p| p.parse::<u32>().ok());
    matches!((year, month, day), (Some(y @ 1900..=2099), Some(m), Some(d)) if NaiveDate::from_ymd_opt(y, m, d).is_some())
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

// The patterns below are constants: `expect` can only fire on a typo in them, which the first test run catches.

// An address with its @, also without a domain suffix ("wangli@163"); or spelled out with "at" and "dot" (in words,
// brackets or Chinese), which needs a known top-level domain so that "arrive at 9.30" stays a time.
fn find_email(text: &str) -> Option<(usize, PiiKind)> {
    static AT_SIGN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9]").expect("static e-mail pattern"));
    static SPELLED: LazyLock<Regex> = LazyLock::new(|| {
        let at = r"(?:\s*[(\[{<]\s*(?:at|@|艾特)\s*[)\]}>]\s*|\s+at\s+|\s*(?:艾特|@)\s*)";
        let dot = r"(?:\s*[(\[{<]\s*(?:dot|\.|点)\s*[)\]}>]\s*|\s+dot\s+|\s*点\s*|\.)";
        let tld = r"(?:com|cn|net|org|edu|gov|hk|mo|tw|io|me|co|info|top|vip|xyz|cc|biz|us|uk|jp|de)";
        Regex::new(&format!(
            r"(?i)[a-z0-9._%+-]+{at}[a-z0-9-]+(?:{dot}[a-z0-9-]+)*{dot}{tld}(?:[^a-z0-9]|$)"
        ))
        .expect("static spelled e-mail pattern")
    });
    [AT_SIGN.find(text), SPELLED.find(text)]
        .into_iter()
        .flatten()
        .map(|m| m.start())
        .min()
        .map(|start| (start, PiiKind::Email))
}

// A WeChat or QQ id after its name: a WeChat id has 6-20 letters, digits, '_' or '-' and starts with a letter; a QQ
// number 5-12 digits, standing alone. An id of letters only must follow a colon, 号 or "id", so that "WeChat
// transfer" stays words.
fn find_chat_id(text: &str) -> Option<(usize, PiiKind)> {
    static CHAT_ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:^|[^a-z0-9])(微信号?|weixin|wechat|vx|wx|v信|威信|薇信|qq|扣扣|企鹅号?)\s*(号码|号|id|账号)?\s*([:=]|是|为)?\s*(?:([a-z][-_a-z0-9]{5,19})(?:[^a-z0-9_-]|$)|([1-9][0-9]{4,11})(?:[^\p{L}\p{N}]|$))",
        )
        .expect("static chat-id pattern")
    });
    // Matches may overlap: a harmless word ("QQQQQQQ" then a line break) must not swallow the separator that the
    // next, real id needs before it, so each new search starts just after the name of the last match, not after
    // its end.
    let mut from = 0;
    while let Some(c) = CHAT_ID.captures_at(text, from) {
        let name = c.get(1)?;
        let marked = c.get(2).is_some() || c.get(3).is_some() || name.as_str().ends_with('号');
        let found = match (c.get(4), c.get(5)) {
            (Some(id), _) => marked || !id.as_str().bytes().all(|b| b.is_ascii_alphabetic()),
            // A WeChat id never is a bare number; QQ numbers are.
            (None, Some(_)) => ["qq", "扣扣", "企鹅"]
                .iter()
                .any(|q| name.as_str().to_lowercase().starts_with(q)),
            (None, None) => false,
        };
        if found {
            return Some((name.start(), PiiKind::ChatId));
        }
        from = name.start() + name.as_str().chars().next().map_or(1, char::len_utf8);
    }
    None
}

// A street address: road + number + 号, a building with its room (3栋501, 3栋2单元501), a unit with its room, a room
// of three or four digits (501室), or an estate with its building number.
fn find_address(text: &str) -> Option<(usize, PiiKind)> {
    static ROAD_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(\p{Han})?(?:路|街|大道|巷|弄|胡同|道)\s*[0-9]{1,5}\s*(?:[-之]\s*[0-9]{1,4}\s*)?[号號]")
            .expect("static road pattern")
    });
    static BUILDING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"[0-9]+\s*(?:栋|棟|幢|座|号楼|楼)\s*(?:[0-9]+\s*单元\s*)?[0-9]{2,4}(?:\s*(?:室|房|号)|[^\p{Han}0-9]|$)|[0-9]+\s*单元\s*[0-9]{2,4}(?:\s*(?:室|房|号)|[^\p{Han}0-9]|$)|[0-9]{3,4}\s*(?:室|房)|(?:小区|花园|苑|公寓|新村|大厦|家园|山庄)\s*[0-9]+\s*(?:栋|棟|幢|座|号楼|楼|号)",
        )
        .expect("static building pattern")
    });
    // "道" ends many words that are not roads: 知道, 报道, 频道, 味道 …
    const NOT_ROADS: &str = "知报频渠味难车通走轨管跑赛说一顺街人水";
    let road = ROAD_NUMBER.captures_iter(text).find_map(|c| {
        let whole = c.get(0)?;
        let word_before = c.get(1).map(|m| m.as_str()).unwrap_or_default();
        let is_dao = text[whole.start() + word_before.len()..].starts_with('道');
        (!is_dao || !word_before.chars().any(|p| NOT_ROADS.contains(p))).then_some(whole.start())
    });
    let building = BUILDING.find(text).map(|m| m.start());
    road.into_iter()
        .chain(building)
        .min()
        .map(|start| (start, PiiKind::Address))
}

/// Which of the beneficiary's registered details a public text repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonField {
    /// The registered name, or the surname with a form of address (张阿姨, 李伯, 老王).
    Name,
    /// The registered phone number (its last seven digits).
    Phone,
    /// Four or more characters in a row of the registered address.
    Address,
}

// Forms of address written after a surname.
const AFTER_SURNAME: &[&str] = &[
    "阿姨",
    "姨",
    "姨妈",
    "伯",
    "伯伯",
    "阿伯",
    "老伯",
    "大伯",
    "伯父",
    "伯母",
    "叔",
    "叔叔",
    "阿叔",
    "大叔",
    "婶",
    "婶婶",
    "大婶",
    "爷",
    "爷爷",
    "大爷",
    "老爷子",
    "奶奶",
    "老奶奶",
    "婆",
    "婆婆",
    "阿婆",
    "老太",
    "老太太",
    "公",
    "公公",
    "阿公",
    "嫂",
    "大嫂",
    "阿嫂",
    "姐",
    "姐姐",
    "大姐",
    "阿姐",
    "哥",
    "大哥",
    "阿哥",
    "妹",
    "弟",
    "姑",
    "姑姑",
    "舅",
    "舅舅",
    "大妈",
    "大娘",
    "先生",
    "女士",
    "小姐",
    "太太",
    "师傅",
    "老师",
    "同学",
    "小朋友",
    "老人",
    "老人家",
];

// Forms of address written before a surname.
const BEFORE_SURNAME: &[&str] = &["老", "小", "阿"];

// Words that such a form would spell for some rare surname, and that a need's text uses every day.
const COMMON_WORDS: &[&str] = &[
    "老师", "老家", "老年", "老人", "老板", "老化", "老式", "老旧", "老大", "小时", "小区", "小学", "小心", "小组",
    "小孩", "小姐", "小吃", "小说", "小麦", "小米", "小型", "小费", "小车", "小件", "小号", "小家", "阿姨", "阿婆",
    "阿公", "阿伯", "阿叔", "阿嫂", "阿姐", "阿哥", "大姐", "大哥", "大叔", "大爷", "大妈", "大娘", "大伯", "大嫂",
    "大婶", "大家", "公公", "人家", "国家", "全家", "万家",
];

// Two-character surnames, which the form of address follows whole.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "澹台", "端木", "呼延", "南宫", "西门", "申屠", "轩辕", "独孤", "闻人", "百里", "钟离", "万俟",
];

/// A beneficiary's registered name, phone and address, folded for comparison with public text. Built inside the
/// service from the sealed private part for one check; it must never be logged, and its `Debug` shows nothing.
#[derive(Clone, Default)]
pub struct PersonMarks {
    // Folded forms that name the person: the full name, and surname + form of address.
    names: Vec<String>,
    // A Latin-script name as space-separated lower-case words, matched on word boundaries.
    latin_name: Option<String>,
    // The last seven digits of the phone number.
    phone_tail: Option<String>,
    // Every four-character stretch of the address below the community.
    address_parts: Vec<String>,
}

impl std::fmt::Debug for PersonMarks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonMarks(..)")
    }
}

impl PersonMarks {
    /// The marks of a person registered as `full_name`, `phone` and `address` (any may be empty).
    pub fn new(full_name: &str, phone: &str, address: &str) -> Self {
        let mut marks = PersonMarks::default();
        let name = fold(full_name);
        if name.chars().count() >= 2 {
            if name.is_ascii() {
                marks.latin_name = Some(words(full_name));
            } else {
                marks.names.push(name.clone());
            }
        }
        if name.starts_with(is_han) && name.chars().count() >= 2 {
            let surname = COMPOUND_SURNAMES
                .iter()
                .find(|s| name.starts_with(**s) && name.chars().count() >= 3)
                .map(|s| (*s).to_owned())
                .unwrap_or_else(|| name.chars().take(1).collect());
            let forms = AFTER_SURNAME
                .iter()
                .map(|after| format!("{surname}{after}"))
                .chain(BEFORE_SURNAME.iter().map(|before| format!("{before}{surname}")));
            marks
                .names
                .extend(forms.filter(|form| !COMMON_WORDS.contains(&form.as_str())));
        }
        let digits: String = normalize(phone).chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 7 {
            marks.phone_tail = Some(digits[digits.len() - 7..].to_owned());
        }
        let address: Vec<char> = below_community(&fold(address)).chars().collect();
        marks.address_parts = address
            .windows(4)
            .filter(|w| !w.iter().all(char::is_ascii_digit) && !w.iter().all(char::is_ascii_alphabetic))
            .map(|w| w.iter().collect())
            .collect();
        marks
    }

    /// The first registered detail `text` repeats, compared after the guard's normalization with every separator
    /// taken out (so "王，秀 英" is "王秀英").
    pub fn find_in(&self, text: &str) -> Option<PersonField> {
        let folded = fold(text);
        let latin = self
            .latin_name
            .as_ref()
            .is_some_and(|name| format!(" {} ", words(text)).contains(&format!(" {name} ")));
        if latin || self.names.iter().any(|n| folded.contains(n.as_str())) {
            return Some(PersonField::Name);
        }
        if self
            .phone_tail
            .as_ref()
            .is_some_and(|tail| folded.contains(tail.as_str()))
        {
            return Some(PersonField::Phone);
        }
        if self.address_parts.iter().any(|part| folded.contains(part.as_str())) {
            return Some(PersonField::Address);
        }
        None
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

// The guard's normalization in lower case, with everything but letters and digits taken out.
fn fold(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

// Lower-case words split at everything that is not a letter or digit, joined by single spaces.
fn words(text: &str) -> String {
    normalize(text)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// A folded address without its leading province, city, district, subdistrict and community: those are public (every
// need card shows its community), what follows them is the home. Only the part before the first digit is searched.
fn below_community(address: &str) -> &str {
    const DIVISIONS: &[&str] = &[
        "特别行政区",
        "自治区",
        "居委会",
        "村委会",
        "街道",
        "社区",
        "省",
        "市",
        "县",
        "旗",
        "镇",
        "乡",
        "区",
    ];
    // 小区, 园区, 校区 … are estates, not districts.
    const NOT_DISTRICTS: &str = "小园校厂景库片营军山湾";
    let head_end = address.find(|c: char| c.is_ascii_digit()).unwrap_or(address.len());
    let head = &address[..head_end];
    let mut cut = 0;
    for division in DIVISIONS {
        for (at, _) in head.match_indices(division) {
            let before = head[..at].chars().next_back();
            if *division == "区" && before.is_some_and(|b| NOT_DISTRICTS.contains(b)) {
                continue;
            }
            cut = cut.max(at + division.len());
        }
    }
    &address[cut..]
}

#[cfg(test)]
mod tests {
    use chrono::Days;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_examples_of_issue_13_are_refused() {
        let cases = [
            "一三八 零零一三 八零零零",
            "幺三八零零一三八零零零",
            "幺三八 零零幺三 八零零零",
            "138/0013/8000",
            "138,0013,8000",
            "138，0013，8000",
            "138_0013_8000",
            "138*0013*8000",
            "138、0013、8000",
            "1 3 8 0 0 1 3 8 0 0 0",
            "13 80 01 38 000",
            "\u{1D7CF}\u{1D7D1}\u{1D7D6}\u{1D7CE}\u{1D7CE}\u{1D7CF}\u{1D7D1}\u{1D7D6}\u{1D7CE}\u{1D7CE}\u{1D7CE}",
            "١٣٨٠٠١٣٨٠٠٠",
            "۱۳۸۰۰۱۳۸۰۰۰",
            "①③⑧⓪⓪①③⑧⓪⓪⓪",
            "❶❸❽⓿⓿❶❸❽⓿⓿⓿",
            "+852 9123 4567",
            "440308900101123",
            "440308/19900101/1239",
            "wangli at 163 dot com",
            "微信 zhangsan_1980",
            "张三，东和社区幸福路12号3栋501室",
        ];
        for text in cases {
            assert!(find_pii(text).is_some(), "{text}");
        }
        assert_eq!(find_pii("440308/19900101/1239"), Some(PiiKind::IdNumber));
        assert_eq!(find_pii("440308900101123"), Some(PiiKind::IdNumber));
        assert_eq!(find_pii("wangli at 163 dot com"), Some(PiiKind::Email));
        assert_eq!(find_pii("微信 zhangsan_1980"), Some(PiiKind::ChatId));
        // Found by the fuzzer: the second line's harmless "QQ…" took the line break the third line's id needs.
        assert_eq!(find_pii("QQQQQQQQQQ7\0"), Some(PiiKind::ChatId));
        assert_eq!(
            find_pii("mn\0n\0\0\0\0\0QQQQQQ\nQQQQQQQQQ\nQQQQQQQQQQ7\0"),
            Some(PiiKind::ChatId)
        );
        assert_eq!(find_pii("张三，东和社区幸福路12号3栋501室"), Some(PiiKind::Address));
        assert_eq!(find_pii("+852 9123 4567"), Some(PiiKind::Phone));
    }

    #[test]
    fn mobiles_are_found_in_every_written_form() {
        let cases = [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "138.0013.8000",
            "138 - 0013 - 8000",
            "(138) 0013 8000",
            "1380013 8000",
            "138 00138000",
            "+86 138 0013 8000",
            "+86-13800138000",
            "+86 13800138000",
            "+8613800138000",
            "+86138 0013 8000",
            "0086138 00138000",
            "(+86) 138 0013 8000",
            "86 138 0013 8000",
            "8613800138000",
            "0086 138 0013 8000",
            "008613800138000",
            "013800138000",
            "联系电话：13912345678",
            "电话15012345678谢谢",
            "微信同号19912345678。",
            "call 177-1234-5678 after 6pm",
            "2026-12-05 13800138000",
            "需要10袋米 13800138000",
            "１３８００１３８０００",
            "＋８６　１３８　００１３　８０００",
            "１３８－００１３－８０００",
            "138–0013–8000",
            "138\u{200B}0013\u{200B}8000",
            "138\u{00A0}0013\u{00A0}8000",
            "138\n0013\n8000",
            "138 | 0013 | 8000",
            "138~0013~8000",
            "138··0013··8000",
            "1.3.8.0.0.1.3.8.0.0.0",
            "13:80:01:38:000",
            "9:13 8001 38000",
            "一三八〇〇一三八〇〇〇",
            "壹叁捌零零壹叁捌零零零",
            "138 零零一三 8000",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::Phone), "{text}");
        }
    }

    #[test]
    fn landlines_and_other_regions_are_found() {
        let cases = [
            "0755-2345 6789",
            "0755-23456789",
            "(0755) 23456789",
            "(0755)2345-6789",
            "075523456789",
            "07552345678",
            "010-12345678",
            "(010) 1234 5678",
            "01012345678",
            "0101234567",
            "020 8765 4321",
            "0 7 5 5 2 3 4 5 6 7 8 9",
            "07 55 23 45 67 89",
            "+86 755 2345 6789",
            "+86-755-23456789",
            "+86-10-12345678",
            "+86 (0)755 2345 6789",
            "+86 0755 2345 6789",
            "0086 10 1234 5678",
            "86-755-2345-6789",
            "+8675523456789",
            "请拨0755-2345 6789转客服",
            "（０７５５）２３４５６７８９",
            "０７５５－２３４５　６７８９",
            "0755 2345 6789-123",
            "+852 2345 6789",
            "+85291234567",
            "00852 9123 4567",
            "(852) 6123-4567",
            "+853 6612 3456",
            "0912 345 678",
            "0912-345-678",
            "+886 912 345 678",
            "+886 2 2345 6789",
            "+1 415 555 0123",
            "电话 2345 6789",
            "联系电话：2345678",
            "tel: 2345-6789",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::Phone), "{text}");
        }
    }

    #[test]
    fn id_numbers_are_found_even_with_a_wrong_check_character() {
        let cases = [
            // Valid checksum, valid birth date.
            "11010519491231002X",
            "11010519491231002x",
            "440308199001011239",
            "510107200002290010",
            // Valid birth date, mistyped check character.
            "110105194912310021",
            "440308199001011234",
            // Valid checksum, impossible birth date (month 13).
            "440308199013451231",
            // Spaced out.
            "440308 19900101 123X",
            "440308 1990 0101 1239",
            "4403 0819 9001 0112 39",
            "440308-1990-01-01-1239",
            "440308 1990-01-01 1239",
            "身份证号：440308199001011239，请核实",
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002Ｘ",
            "四四〇三〇八一九九〇〇一〇一一二三九",
            // The 15-digit first generation.
            "440308900101123",
            "440308 900101 123",
            "身份证 110105491231002",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::IdNumber), "{text}");
        }
    }

    #[test]
    fn emails_are_found_also_spelled_out_or_without_a_suffix() {
        let cases = [
            "abc@qq.com",
            "zhang.san+relay@example.com.cn",
            "联系邮箱：wang_li@163.com。",
            "mail me at li-na@mail.szu.edu.cn please",
            "abc＠qq.com",
            "ａｂｃ＠ｑｑ．ｃｏｍ",
            "13800138000@163.com",
            "wangli@163",
            "wangli at 163 dot com",
            "wangli AT 163 DOT com",
            "wangli [at] 163 [dot] com",
            "wangli(at)163(dot)com",
            "wangli at 163.com",
            "wangli艾特163点com",
            "wangli ＠ 163 点 com",
            "wangli﹫163.com",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::Email), "{text}");
        }
    }

    #[test]
    fn chat_ids_after_their_name_are_found() {
        let cases = [
            "微信 zhangsan_1980",
            "微信号：zhangsan",
            "微信：wangli88",
            "加VX: li-na-2020",
            "vx lina2020",
            "wx：zhang_san",
            "WeChat ID: zhangsan",
            "wechat: lina_sz",
            "QQ 12345678",
            "QQ号：987654321",
            "扣扣 123456",
            "ｖｘ　ｚｈａｎｇｓａｎ＿１９８０",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::ChatId), "{text}");
        }
    }

    #[test]
    fn street_addresses_are_found() {
        let cases = [
            "张三，东和社区幸福路12号3栋501室",
            "幸福路12号",
            "深南大道1001号",
            "沙头角东和路 8 号",
            "海山街 3-2 号",
            "3栋2单元501",
            "3栋501",
            "3栋501室",
            "12号楼3单元501",
            "第 3 栋 2 单元 501 室",
            "2单元602",
            "住在501室",
            "阳光花园3栋",
            "碧海小区 5 座",
            "翠苑12号",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::Address), "{text}");
        }
    }

    #[test]
    fn the_first_kind_in_the_text_is_reported() {
        assert_eq!(find_pii("邮箱 a@b.com 电话 13800138000"), Some(PiiKind::Email));
        assert_eq!(find_pii("电话 13800138000 邮箱 a@b.com"), Some(PiiKind::Phone));
        assert_eq!(
            find_pii("身份证 11010519491231002X 电话 13800138000"),
            Some(PiiKind::IdNumber)
        );
    }

    #[test]
    fn ordinary_need_text_is_not_flagged() {
        let cases = [
            "",
            "   ",
            "需要10袋米，每袋25公斤",
            "共 1000 元",
            "3 boxes",
            "10 袋",
            "2 kg",
            "5斤",
            "¥35.5",
            "200元",
            "14:30",
            "2026-12-05",
            "12月5日",
            "2026年12月5日",
            "12/05",
            "9:00–18:00",
            "9:30-11:30",
            "2026-01-05 9:30-11:30",
            "2026-12-05 14:30-16:30",
            "9:00-11:30, 14:00-17:00",
            "第3栋",
            "A4",
            "2026",
            "2026-12-05 10",
            "2026-12-02 12345678",
            "2026-12-05 至 2026-12-31",
            "2026-12-05, 2026-12-06, 2026-12-07",
            "编号 234567890",
            "编号 123456",
            "单价 13.99 18.00 12.50 元",
            "0.50 0.80 1.20 2.50",
            "138.00 138.50 元",
            "门牌 1-2-301",
            "身高 175 cm，体重 65 kg",
            "1.5L x 12 瓶",
            "3x 5kg bags",
            "2025-2026 学年",
            "每月15号 9:30 送达",
            "12 000 元",
            "100,000 元",
            "共 86 人，每人 2 袋",
            "编号 862345678901",
            "条码 6901234567892",
            "订单 202612051234567890",
            "请@社工小王 跟进",
            "需要身份证复印件和电话联系社工",
            "１０袋米，２５公斤",
            "A4 纸 5 包，打印机墨盒 2 个",
            "32 寸电视 1 台",
            "一袋米",
            "两箱牛奶",
            "三口之家",
            "一三五上午送餐",
            "一、二、三年级各一套",
            "七八个苹果",
            "不知道3号能不能送到",
            "3室1厅",
            "微信支付 200 元",
            "WeChat Pay or cash",
            "QQ群里通知",
            "arrive at 9.30",
            "meet at the school gate",
            "拨打 120",
            "老人今年 82 岁",
            "每周三 19:00 以后",
            // 18 digits with neither a valid checksum nor a plausible birth date.
            "123456789012345678",
            "440308199013451232",
            // 29 February of a year that is not leap, and the wrong check character.
            "510107200102290011",
        ];
        for text in cases {
            assert_eq!(find_pii(text), None, "{text}");
        }
    }

    const CORPUS: &str = include_str!("pii_corpus.txt");

    fn corpus() -> impl Iterator<Item = &'static str> {
        CORPUS
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
    }

    #[test]
    fn real_need_descriptions_are_not_refused() {
        let marks = PersonMarks::new(
            "王秀英",
            "13912345678",
            "广东省深圳市盐田区沙头角街道东和社区海山路1号3栋502",
        );
        assert!(corpus().count() >= 50);
        for text in corpus() {
            assert_eq!(find_pii(text), None, "{text}");
            assert_eq!(marks.find_in(text), None, "{text}");
        }
    }

    #[test]
    fn every_script_digit_block_is_numeric_and_reads_as_its_value() {
        assert!(DIGIT_ZEROS.windows(2).all(|w| w[0] + 10 <= w[1]));
        for &zero in DIGIT_ZEROS {
            for value in 0..10 {
                let c = char::from_u32(zero + value).expect("a code point");
                assert!(c.is_numeric(), "U+{:X}", zero + value);
                assert_eq!(decimal_digit(c), Some(value), "U+{:X}", zero + value);
            }
        }
        assert_eq!(decimal_digit('a'), None);
        assert_eq!(decimal_digit('½'), None);
        assert_eq!(normalize("①⑩❿⓫"), "1101011");
    }

    #[test]
    fn the_beneficiarys_own_details_are_recognised() {
        let marks = PersonMarks::new(
            "王秀英",
            "0755-2345 6789",
            "广东省深圳市盐田区沙头角街道东和社区幸福路12号3栋501室",
        );
        let name = Some(PersonField::Name);
        let address = Some(PersonField::Address);
        for text in [
            "王秀英需要大米",
            "王 秀 英",
            "王，秀英",
            "王阿姨需要大米",
            "王奶奶",
            "王伯",
            "老王的药",
            "给王姨送去",
        ] {
            assert_eq!(marks.find_in(text), name, "{text}");
        }
        for text in ["幸福路12号", "幸福路 十二号 旁边的 12号3栋", "福路１２号", "3栋501室"] {
            assert_eq!(marks.find_in(text), address, "{text}");
        }
        assert_eq!(marks.find_in("电话 2345-6789"), Some(PersonField::Phone));
        assert_eq!(marks.find_in("二三四五六七八九"), Some(PersonField::Phone));
        for text in [
            "东和社区的独居老人需要大米",
            "送到沙头角街道服务点",
            "幸福路附近的服务点",
            "王先生的捐赠",
            "小王社工跟进",
            "老师说孩子需要文具",
            "每天 2 小时",
        ] {
            let expected = if text.contains("王先生") || text.contains("小王") {
                name
            } else {
                None
            };
            assert_eq!(marks.find_in(text), expected, "{text}");
        }
        let li = PersonMarks::new("Li Na", "", "Flat 5, 12 Happy Road");
        assert_eq!(li.find_in("For li na, a blanket"), name);
        assert_eq!(li.find_in("online navigation class"), None);
        assert_eq!(li.find_in("the road is happy"), None);
        assert_eq!(li.find_in("deliver to 12 happy road"), address);
        let ouyang = PersonMarks::new("欧阳娜娜", "", "");
        assert_eq!(ouyang.find_in("欧阳阿姨"), name);
        assert_eq!(format!("{ouyang:?}"), "PersonMarks(..)");
        let empty = PersonMarks::new("", "", "");
        assert_eq!(empty.find_in("王秀英 13912345678 幸福路"), None);
    }

    // Words and numbers of at most 5 digits, each number stuck to a unit as in "10袋" so that no two of them can
    // be read as the groups of one longer number.
    fn filler() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            "[\u{4e00}-\u{9fa5}]{1,6}",
            "[A-Za-z]{1,8}",
            // Not a room, a building or a house number: "501室" is an address. Not a numeral either: "02000兩" is
            // six digits read out, and the guard reads it so.
            ("[0-9]{1,5}", "[\u{4e00}-\u{9fa5}A-Za-z]")
                .prop_filter("not an address unit or a numeral", |(_, unit)| {
                    !"室房栋棟幢座楼号單单".contains(unit.as_str()) && !unit.chars().any(|c| chinese_digit(c).is_some())
                })
                .prop_map(|(number, unit)| format!("{number}{unit}")),
        ];
        prop::collection::vec(token, 0..12).prop_map(|tokens| tokens.join(" "))
    }

    fn check_character(body: &str) -> char {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body
            .bytes()
            .zip(WEIGHTS)
            .map(|(digit, weight)| u32::from(digit - b'0') * weight)
            .sum();
        ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
    }

    const PROVINCES: &[&str] = &[
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
        "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ];

    fn birth_date(days: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(1920, 1, 1)
            .and_then(|d| d.checked_add_days(Days::new(days)))
            .expect("within range")
    }

    // A phone or ID number as its country prefix (written as is) and its digits (written in any way).
    fn identity_number() -> impl Strategy<Value = (String, String)> {
        let mobile = (
            prop::sample::select(vec!["", "+86 ", "+86", "0086 ", "(+86) "]),
            3u8..=9,
            "[0-9]{9}",
        )
            .prop_map(|(prefix, second, rest)| (prefix.to_owned(), format!("1{second}{rest}")));
        let area = prop_oneof![Just("10".to_owned()), "2[0-9]", "[3-9][0-9]{2}",];
        let landline = (area, "[2-8][0-9]{6,7}").prop_map(|(area, local)| (String::new(), format!("0{area}{local}")));
        let hong_kong = (
            prop::sample::select(vec!["+852 ", "+853 ", "00852 ", "(852) ", "+852"]),
            "[235679][0-9]{7}",
        )
            .prop_map(|(prefix, digits)| (prefix.to_owned(), digits));
        let id18 = (
            prop::sample::select(PROVINCES.to_vec()),
            "[0-9]{4}",
            0u64..36_500,
            "[0-9]{3}",
        )
            .prop_map(|(province, region, days, sequence)| {
                let body = format!("{province}{region}{}{sequence}", birth_date(days).format("%Y%m%d"));
                let check = check_character(&body);
                (String::new(), format!("{body}{check}"))
            });
        let id15 = (
            prop::sample::select(PROVINCES.to_vec()),
            "[0-9]{4}",
            0u64..29_000,
            "[0-9]{3}",
        )
            .prop_map(|(province, region, days, sequence)| {
                let born = birth_date(days).format("%y%m%d");
                (String::new(), format!("{province}{region}{born}{sequence}"))
            });
        prop_oneof![mobile, landline, hong_kong, id18, id15]
    }

    // One digit in one of the scripts people (or evaders) type: ASCII, full-width, Chinese numerals, mathematical,
    // Arabic-Indic, Devanagari, circled and dingbat circled.
    fn write_digit(digit: char, script: u8, variant: bool) -> String {
        let Some(value) = digit.to_digit(10) else {
            return digit.to_string();
        };
        let at = |base: u32| char::from_u32(base + value).map(String::from).unwrap_or_default();
        match script {
            0 => digit.to_string(),
            1 => at(0xFF10),
            2 => {
                let chinese = ["〇零", "一幺", "二两", "三", "四", "五", "六", "七", "八", "九"][value as usize];
                let mut forms = chinese.chars();
                let first = forms.next().unwrap_or('〇');
                if variant { forms.next().unwrap_or(first) } else { first }.to_string()
            }
            3 => at(if variant { 0x1D7CE } else { 0x1D7EC }),
            4 => at(if variant { 0x0660 } else { 0x06F0 }),
            5 => at(0x0966),
            6 if value == 0 => "⓪".to_owned(),
            6 => at(0x245F),
            _ if value == 0 => "⓿".to_owned(),
            _ => at(if variant { 0x2775 } else { 0x2789 }),
        }
    }

    const SEPARATORS: &[&str] = &[
        " ", "  ", "-", " - ", ".", "/", ",", "，", "、", "_", "*", "|", "~", "·", ":", "：", "\u{3000}", "\t", "\n",
        "#", "——", "；", "。", "(", ")", "[", "]", "=", "'", "\"",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn no_phone_or_id_gets_through_whatever_its_separators_and_digits(
            before in filler(),
            after in filler(),
            (prefix, digits) in identity_number(),
            cuts in prop::collection::vec(any::<bool>(), 20),
            separators in prop::collection::vec(prop::sample::select(SEPARATORS.to_vec()), 20),
            scripts in prop::collection::vec((0u8..8, any::<bool>()), 20),
            one_script in any::<bool>(),
        ) {
            let mut written = prefix.clone();
            let count = digits.chars().count();
            for (i, digit) in digits.chars().enumerate() {
                let (script, variant) = if one_script { scripts[0] } else { scripts[i] };
                written.push_str(&write_digit(digit, script, variant));
                // The check character X stays with the digit before it.
                let next_is_x = digits.chars().nth(i + 1) == Some('X');
                if i + 1 < count && cuts[i] && !next_is_x {
                    written.push_str(separators[i]);
                }
            }
            // No word that announces a phone stands before it: the number alone must be recognised.
            let text = format!("{before}内容{written}。{after}");
            prop_assert!(find_pii(&text).is_some(), "{} ({}{})", text, prefix, digits);
        }

        #[test]
        fn words_and_short_numbers_are_never_flagged(text in filler()) {
            prop_assert_eq!(find_pii(&text), None, "{}", text);
        }
    }
}
