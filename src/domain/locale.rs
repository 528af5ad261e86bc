//! The two languages every user-facing text exists in.

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

impl Locale {
    /// Both locales.
    pub const ALL: &'static [Locale] = &[Locale::ZhCn, Locale::En];

    /// The tag stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
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
    type Err = super::UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" | "zh-hans" => Ok(Locale::ZhCn),
            "en" | "en-us" | "en-gb" => Ok(Locale::En),
            _ => Err(super::UnknownVariant {
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
            assert_eq!(l.as_str().parse::<Locale>(), Ok(*l));
        }
        assert!("de".parse::<Locale>().is_err());
    }
}
