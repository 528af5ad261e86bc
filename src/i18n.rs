//! Every user-facing text of the web pages, in zh-CN and en, from `locales/*.json`.
//!
//! The catalogs are compiled in; a test checks both have the same keys and that every key a
//! template uses exists, and another that templates hold no text of their own.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::Locale;

static ZH: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse(include_str!("../locales/zh-CN.json")));
static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse(include_str!("../locales/en.json")));

fn parse(text: &str) -> HashMap<String, String> {
    // The catalogs are part of the build and tested; an unreadable one is a bug caught by tests.
    serde_json::from_str(text).unwrap_or_default()
}

/// Translations for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Locale);

impl Tr {
    /// The text for `key`; the key itself if missing (tests make sure none is).
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        let catalog = match self.0 {
            Locale::ZhCn => &*ZH,
            Locale::En => &*EN,
        };
        match catalog.get(key) {
            Some(text) => text.as_str(),
            None => key,
        }
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill_in(self.get(key), args)
    }

    /// The text for `key` about `n` things, placeholders filled in: `key.one` when `n` is 1
    /// ("1 offer", "Ends in 1 day"), else `key` ("3 offers"). Chinese has one form, so its
    /// `.one` keys repeat the plain text; both catalogs keep the same keys.
    pub fn count(&self, key: &str, n: u64, args: &[(&str, &str)]) -> String {
        let one = format!("{key}.one");
        let chosen = if n == 1 && self.get(&one) != one {
            one.as_str()
        } else {
            key
        };
        self.fill(chosen, args)
    }

    /// A day without its year, as people write it: "11月16日", "16 Nov".
    pub fn short_date(&self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        self.fill(
            "date.short",
            &[
                ("month", &date.month().to_string()),
                ("mon", &date.format("%b").to_string()),
                ("day", &date.day().to_string()),
            ],
        )
    }

    /// The language tag, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        match self.0 {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }
}

/// Every key of a catalog (for tests).
pub fn keys(locale: Locale) -> Vec<String> {
    let catalog = match locale {
        Locale::ZhCn => &*ZH,
        Locale::En => &*EN,
    };
    let mut keys: Vec<String> = catalog.keys().cloned().collect();
    keys.sort();
    keys
}

/// `template` with each `{name}` of `args` replaced in one pass: a value is never searched
/// again, so a typed title holding "{deadline}" stays as typed. Unknown placeholders stay.
fn fill_in(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            args.iter()
                .find(|(name, _)| *name == &after[..close])
                .map(|(_, v)| (close, *v))
        });
        match value {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill_in;

    #[test]
    fn a_filled_value_is_never_filled_again() {
        let text = fill_in(
            "{title}（{deadline} 截止）",
            &[("title", "买{deadline}药"), ("deadline", "12月9日")],
        );
        assert_eq!(text, "买{deadline}药（12月9日 截止）");
        assert_eq!(fill_in("{a}{b} {c} {", &[("a", "1"), ("b", "2")]), "12 {c} {");
        assert_eq!(fill_in("no braces", &[("a", "1")]), "no braces");
    }

    use super::*;

    #[test]
    fn both_catalogs_parse_and_have_the_same_keys() {
        let zh = keys(Locale::ZhCn);
        let en = keys(Locale::En);
        assert!(zh.len() > 50, "the catalog is empty or unreadable");
        assert_eq!(zh, en);
        for key in &zh {
            assert!(
                !Tr(Locale::ZhCn).get(key).is_empty() && !Tr(Locale::En).get(key).is_empty(),
                "{key}"
            );
        }
    }

    #[test]
    fn every_key_a_template_or_page_uses_exists() {
        let re = regex::Regex::new(r#"t\.(?:get|fill|count)\(\s*"([a-z0-9_.\-]+)""#).expect("regex");
        let mut used = Vec::new();
        for dir in ["templates", "src/web/pages"] {
            for entry in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) {
                let text = std::fs::read_to_string(&entry).unwrap_or_default();
                used.extend(re.captures_iter(&text).map(|c| c[1].to_owned()));
            }
        }
        assert!(used.len() > 50, "found too few keys: {}", used.len());
        let zh = keys(Locale::ZhCn);
        let missing: Vec<_> = used.iter().filter(|k| !zh.contains(k)).collect();
        assert!(missing.is_empty(), "keys used but not in the catalogs: {missing:?}");
    }

    #[test]
    fn a_count_of_one_takes_the_singular_where_the_language_has_one() {
        let en = Tr(Locale::En);
        assert_eq!(
            en.count("library.summary", 1, &[("total", "1"), ("page", "1")]),
            "1 offer · page 1"
        );
        assert_eq!(
            en.count("library.summary", 2, &[("total", "2"), ("page", "1")]),
            "2 offers · page 1"
        );
        assert_eq!(en.count("renewal.overdue", 1, &[("days", "1")]), "1 day overdue");
        assert_eq!(en.count("renewal.overdue", 0, &[("days", "0")]), "0 days overdue");
        let zh = Tr(Locale::ZhCn);
        assert_eq!(
            zh.count("library.summary", 1, &[("total", "1"), ("page", "1")]),
            "共 1 项供给 · 第 1 页"
        );
    }

    #[test]
    fn every_singular_has_its_plural() {
        let keys = keys(Locale::En);
        for key in keys.iter().filter_map(|k| k.strip_suffix(".one")) {
            assert!(keys.iter().any(|k| k == key), "{key}.one has no {key}");
        }
    }

    #[test]
    fn templates_hold_no_text_of_their_own() {
        // Strip tags, template code and entities; what is left must not be words.
        let code = regex::Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>|&[a-z]+;").expect("regex");
        let word = regex::Regex::new(r"[\p{L}]").expect("regex");
        for path in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")) {
            if path.extension().is_none_or(|e| e != "html") || path.to_string_lossy().contains("/email/") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let rest = code.replace_all(&text, " ");
            let words: Vec<&str> = rest.split_whitespace().filter(|w| word.is_match(w)).collect();
            assert!(words.is_empty(), "{} holds hard-coded text: {words:?}", path.display());
        }
    }

    fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    out.extend(walk(path));
                } else {
                    out.push(path);
                }
            }
        }
        out
    }
}
