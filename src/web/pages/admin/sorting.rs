//! Ordering names the way a clerk looks them up: Chinese names by their pinyin (so 爱心 comes
//! before 沙头角), Latin names alphabetically, case aside.

use std::cmp::Ordering;

use pinyin::ToPinyin;

/// The sort key of `name`: each Chinese character as its toneless pinyin, anything else
/// lowercased.
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 2);
    for (ch, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(p) => key.push_str(p.plain()),
            None => key.extend(ch.to_lowercase()),
        }
    }
    key
}

/// Compares two names by [`name_key`], then by the names themselves (stable for ties).
pub fn by_name(a: &str, b: &str) -> Ordering {
    name_key(a).cmp(&name_key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_sort_by_pinyin_not_by_code_point() {
        // By code point 沙 (U+6C99) comes before 爱 (U+7231) and 北 (U+5317) before 爱; by pinyin:
        // ai, bei, sha.
        let mut names = vec!["沙头角社工站", "爱心商户", "北山志愿队"];
        names.sort_by(|a, b| by_name(a, b));
        assert_eq!(names, ["爱心商户", "北山志愿队", "沙头角社工站"]);
    }

    #[test]
    fn latin_names_sort_without_regard_to_case_and_mix_with_pinyin() {
        let mut names = vec!["zeta", "Bakery", "爱心", "apple"];
        names.sort_by(|a, b| by_name(a, b));
        assert_eq!(names, ["爱心", "apple", "Bakery", "zeta"]);
    }
}
