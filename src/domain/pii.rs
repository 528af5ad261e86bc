//! The PII guard: every merchant can read a need's public text, so that text must never carry the phone number,
//! resident ID number or e-mail address of the person who needs help.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// What kind of personal data was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiKind {
    /// A mobile number, or a landline number with its area code.
    Phone,
    /// An 18-character resident identity card number.
    IdNumber,
    /// An e-mail address.
    Email,
}

// The patterns below are constants: `expect` can only fire on a typo in them, which the first test run catches.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}").expect("static e-mail pattern")
});

// Digit groups joined by what people type inside a number; a group may end in the X check character of an ID.
// Newlines are not separators, so numbers on separate lines of a list are never read as one.
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?[0-9]+[Xx]?(?:[ \t.()-]{1,3}[0-9]+[Xx]?)*").expect("static digit-run pattern"));

// Splits a run back into its groups, so the separators never reach the classification.
static DIGIT_GROUP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9]+[Xx]?").expect("static digit-group pattern"));

// Nothing longer needs classifying: an ID has 18 characters, "0086" plus a 12-digit landline has 16.
const MAX_SPAN: usize = 18;

// A written-out number splits into groups of 3 or more digits ("138 0013 8000"), whereas dates, times and prices
// split into groups of 1 or 2 ("2026-12-05 10", "13.99 18.00 12.50"), which must never add up to a phone.
const MIN_GROUP: usize = 3;

/// The first kind of personal data found in `text`, if any.
pub fn find_pii(text: &str) -> Option<PiiKind> {
    let text = normalize(text);
    let email = EMAIL.find(&text).map(|m| (m.start(), PiiKind::Email));
    // On a tie ("13800138000@163.com") the e-mail is the wider reading, and `min_by_key` keeps the first minimum.
    [email, find_number(&text)]
        .into_iter()
        .flatten()
        .min_by_key(|&(start, _)| start)
        .map(|(_, kind)| kind)
}

// Numbers typed with a Chinese IME in full-width mode, or split by zero-width characters to slip past a filter,
// must look like plain ASCII numbers to the patterns.
fn normalize(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            // The full-width forms of ASCII (０-９, ＋, －, （）, ＠, Ｘ, letters) sit at a fixed offset from it.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0),
            '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => Some(' '),
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Some('-'),
            '\u{00B7}' | '\u{30FB}' | '\u{FF65}' => Some('.'),
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
            _ => Some(c),
        })
        .collect()
}

// Every stretch of consecutive groups is tried, so a number written right after a date or a quantity
// ("2026-12-05 13800138000") is still seen on its own. Returns where the first one starts.
fn find_number(text: &str) -> Option<(usize, PiiKind)> {
    for run in DIGIT_RUN.find_iter(text) {
        let plus = run.as_str().starts_with('+');
        let groups: Vec<_> = DIGIT_GROUP.find_iter(run.as_str()).collect();
        for (first, start) in groups.iter().enumerate() {
            let mut span = Vec::new();
            let mut len = 0;
            for group in &groups[first..] {
                len += group.len();
                if len > MAX_SPAN {
                    break;
                }
                span.push(group.as_str());
                // The '+' only belongs to the run's first group, the country code.
                if let Some(kind) = classify(&span, plus && first == 0) {
                    return Some((run.start() + start.start(), kind));
                }
            }
        }
    }
    None
}

// What a stretch of digit groups spells, if anything.
fn classify(groups: &[&str], plus: bool) -> Option<PiiKind> {
    let (last, init) = groups.split_last()?;
    // X is only ever the check character at the very end of an ID.
    if !init.iter().all(|g| is_digits(g)) {
        return None;
    }
    // An ID's last group may be short when it is written in fours ("4403 0819 9001 0112 3X").
    if init.iter().all(|g| g.len() >= MIN_GROUP) && is_id_number(&groups.concat()) {
        return Some(PiiKind::IdNumber);
    }
    (is_digits(last) && is_phone(groups, plus)).then_some(PiiKind::Phone)
}

// A phone number, with or without a country code in front.
fn is_phone(groups: &[&str], plus: bool) -> bool {
    if is_national(groups, false) {
        return true;
    }
    let Some((first, tail)) = groups.split_first() else {
        return false;
    };
    // Only a marked country code lets a landline drop its trunk 0: "+86", "0086" or an "86" set apart. A bare
    // "86" run into the digits ("862345678901") is as likely the start of some other long number.
    let (rest_of_first, international) = if let Some(rest) = first.strip_prefix("0086") {
        (rest, true)
    } else if let Some(rest) = first.strip_prefix("86") {
        (rest, plus || rest.is_empty())
    } else {
        return false;
    };
    // The country code stands alone ("+86 138 …") or is written straight onto the number ("+86138 …").
    let mut national: Vec<&str> = Vec::with_capacity(groups.len());
    if !rest_of_first.is_empty() {
        national.push(rest_of_first);
    }
    national.extend(tail);
    // "+86 (0)755 …": the trunk 0 kept in parentheses.
    if national.len() > 1 && national.first() == Some(&"0") {
        national.remove(0);
    }
    is_national(&national, international)
}

// A mobile or a landline as dialled inside China; `bare_area` allows a landline without its trunk 0, as written
// after a country code ("+86 755 2345 6789").
fn is_national(groups: &[&str], bare_area: bool) -> bool {
    let Some((first, tail)) = groups.split_first() else {
        return false;
    };
    if tail.iter().any(|g| g.len() < MIN_GROUP) {
        return false;
    }
    let digits = groups.concat();
    let whole = tail.is_empty();
    if (whole || first.len() >= MIN_GROUP) && is_mobile(&digits) {
        return true;
    }
    // Mobiles used to be dialled with a leading 0 from another city, and some still write them so.
    if whole && digits.strip_prefix('0').is_some_and(is_mobile) {
        return true;
    }
    let (national, area) = match (digits.strip_prefix('0'), first.strip_prefix('0')) {
        (Some(national), Some(area)) => (national, area),
        _ if bare_area => (digits.as_str(), *first),
        _ => return false,
    };
    // A separate first group must be exactly the area code, so that the "05" of a date never starts a landline.
    is_landline(national) && (whole || area_code_len(area) == Some(area.len()))
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

// 17 digits and a check character; a typo in the check character must not let an ID through, so a plausible
// birth date is enough on its own.
fn is_id_number(id: &str) -> bool {
    let [body @ .., check] = id.as_bytes() else {
        return false;
    };
    id.len() == 18
        && body.iter().all(u8::is_ascii_digit)
        && (check.is_ascii_digit() || check.eq_ignore_ascii_case(&b'X'))
        && (checksum_matches(body, *check) || id.get(6..14).is_some_and(is_birth_date))
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

#[cfg(test)]
mod tests {
    use chrono::Days;
    use proptest::prelude::*;

    use super::*;

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
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::Phone), "{text}");
        }
    }

    #[test]
    fn landlines_with_an_area_code_are_found() {
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
            "身份证号：440308199001011239，请核实",
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002Ｘ",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::IdNumber), "{text}");
        }
    }

    #[test]
    fn emails_are_found_also_with_a_full_width_at() {
        let cases = [
            "abc@qq.com",
            "zhang.san+relay@example.com.cn",
            "联系邮箱：wang_li@163.com。",
            "mail me at li-na@mail.szu.edu.cn please",
            "abc＠qq.com",
            "ａｂｃ＠ｑｑ．ｃｏｍ",
            "13800138000@163.com",
        ];
        for text in cases {
            assert_eq!(find_pii(text), Some(PiiKind::Email), "{text}");
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
            "2026-12-05",
            "2026年12月5日",
            "12/05",
            "9:00–18:00",
            "9:30-11:30",
            "第3栋",
            "A4",
            "2026",
            "2026-12-05 10",
            "2026-12-02 12345678",
            "2026-12-05 至 2026-12-31",
            "编号 234567890",
            "编号 123456",
            "单价 13.99 18.00 12.50 元",
            "138.00 138.50 元",
            "门牌 1-2-301",
            "第 3 栋 2 单元 501 室",
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
            "10\n138\n0013\n8000",
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

    fn format_mobile(digits: &str, style: usize) -> String {
        let (a, b, c) = (&digits[..3], &digits[3..7], &digits[7..]);
        match style {
            0 => digits.to_owned(),
            1 => format!("{a} {b} {c}"),
            2 => format!("{a}-{b}-{c}"),
            3 => format!("{a}.{b}.{c}"),
            4 => format!("({a}) {b} {c}"),
            5 => format!("{a} {b}{c}"),
            _ => format!("{a}{b}-{c}"),
        }
    }

    // Words and numbers of at most 5 digits, each number stuck to a unit as in "10袋" so that no two of them can
    // be read as the groups of one longer number.
    fn filler() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            "[\u{4e00}-\u{9fa5}]{1,6}",
            "[A-Za-z]{1,8}",
            ("[0-9]{1,5}", "[\u{4e00}-\u{9fa5}A-Za-z]").prop_map(|(number, unit)| format!("{number}{unit}")),
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

    proptest! {
        #[test]
        fn a_mobile_in_filler_text_is_found(
            before in filler(),
            after in filler(),
            second in 3u8..=9,
            rest in "[0-9]{9}",
            style in 0usize..7,
            prefix in prop::sample::select(vec!["", "+86 ", "+86-", "+86", "86 ", "0086 ", "0086"]),
        ) {
            let digits = format!("1{second}{rest}");
            let text = format!("{before}电话{prefix}{}。{after}", format_mobile(&digits, style));
            prop_assert_eq!(find_pii(&text), Some(PiiKind::Phone), "{}", text);
        }

        #[test]
        fn words_and_short_numbers_are_never_flagged(text in filler()) {
            prop_assert_eq!(find_pii(&text), None, "{}", text);
        }

        #[test]
        fn an_id_in_filler_text_is_found_whatever_its_check_character(
            before in filler(),
            after in filler(),
            region in "[1-8][0-9]{5}",
            days in 0u64..73_049,
            sequence in "[0-9]{3}",
            typo in prop::sample::select(vec!['0', '5', 'X']),
        ) {
            let born = NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.checked_add_days(Days::new(days)));
            let born = born.expect("within 1900-2099").format("%Y%m%d");
            let body = format!("{region}{born}{sequence}");
            for check in [check_character(&body), typo] {
                let text = format!("{before}证件{body}{check}。{after}");
                prop_assert_eq!(find_pii(&text), Some(PiiKind::IdNumber), "{}", text);
            }
        }
    }
}
