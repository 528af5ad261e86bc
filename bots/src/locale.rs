//! The two languages every user-facing text exists in. The main crate re-exports this enum
//! as `domain::Locale`, so the web, the emails and the bot speak of one language type.

use std::str::FromStr;

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    /// Simplified Chinese, the default.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// A text value that names none of an enum's variants. It lives here because `Locale`'s
/// `FromStr` must be written in this crate; the main crate's text enums use it too
/// (`domain::UnknownVariant`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownVariant {
    /// What was being parsed, e.g. "category".
    pub kind: &'static str,
    /// The text that did not match.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: String,
}

impl Locale {
    /// Both languages.
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The tag stored in the database (`zh-CN` or `en`).
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Reads a stored tag or a choice a merchant typed (`zh`, `中文`, `en`, `English`…).
    pub fn from_choice(text: &str) -> Option<Locale> {
        match text.trim().to_lowercase().as_str() {
            "zh-cn" | "zh" | "zh-hans" | "cn" | "中文" | "简体中文" => Some(Locale::ZhCn),
            "en" | "en-us" | "en-gb" | "english" | "英文" => Some(Locale::En),
            _ => None,
        }
    }

    /// The best language for a Telegram user's `language_code`: Chinese for `zh*` or none,
    /// English for any other language (an English reply helps more than a Chinese one).
    pub fn from_client(code: Option<&str>) -> Locale {
        match code {
            None => Locale::ZhCn,
            Some(c) if c.to_ascii_lowercase().starts_with("zh") => Locale::ZhCn,
            Some(_) => Locale::En,
        }
    }

    /// The best match for an `Accept-Language` header, falling back to zh-CN.
    pub fn negotiate(accept_language: &str) -> Locale {
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let locale = if tag.starts_with("zh") {
                Locale::ZhCn
            } else if tag.starts_with("en") {
                Locale::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

impl FromStr for Locale {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" | "zh-hans" => Ok(Locale::ZhCn),
            "en" | "en-us" | "en-gb" => Ok(Locale::En),
            _ => Err(UnknownVariant {
                kind: "locale",
                value: s.chars().take(20).collect(),
                expected: "zh-CN, en".into(),
            }),
        }
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_honours_quality_and_falls_back_to_chinese() {
        assert_eq!(Locale::negotiate("en-US,en;q=0.9"), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=1, en;q=0.5, zh-CN;q=0.8"), Locale::ZhCn);
        assert_eq!(Locale::negotiate("fr"), Locale::ZhCn);
        assert_eq!(Locale::negotiate(""), Locale::ZhCn);
    }

    #[test]
    fn tags_round_trip() {
        for l in Locale::ALL {
            assert_eq!(l.as_str().parse::<Locale>(), Ok(l));
            assert_eq!(Locale::from_choice(l.as_str()), Some(l));
        }
        assert!("de".parse::<Locale>().is_err());
    }

    #[test]
    fn typed_choices_and_client_codes() {
        assert_eq!(Locale::from_choice(" 中文 "), Some(Locale::ZhCn));
        assert_eq!(Locale::from_choice("English"), Some(Locale::En));
        assert_eq!(Locale::from_choice("fr"), None);
        assert_eq!(Locale::from_client(None), Locale::ZhCn);
        assert_eq!(Locale::from_client(Some("zh-hans")), Locale::ZhCn);
        assert_eq!(Locale::from_client(Some("de")), Locale::En);
    }
}
