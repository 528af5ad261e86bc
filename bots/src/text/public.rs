//! The texts of `/public`, the shop's listing on the public transparency page, in zh-CN
//! and en. They say exactly what the page shows, so a shopkeeper decides knowingly.

use super::pick;
use crate::Locale;
use crate::desk::PublicListingView;

/// Where the listing stands and exactly what it shows. `approved` is false for a pending or
/// suspended shop, which the page never lists whatever it chose.
pub fn summary(lang: Locale, view: &PublicListingView, approved: bool) -> String {
    let state = match (view.shown, approved) {
        (true, true) => pick(
            lang,
            "公开展示：已开启。本店列在公示页面的爱心商户名单中。",
            "Public listing: on. Your shop is listed on the public transparency page.",
        ),
        (true, false) => pick(
            lang,
            "公开展示：已开启，但商户未获准入期间，公示页面不列出本店。",
            "Public listing: on, but the public transparency page does not list your shop while it is not approved.",
        ),
        (false, _) => pick(
            lang,
            "公开展示：未开启。公示页面不列出本店。",
            "Public listing: off. The public transparency page does not list your shop.",
        ),
    };
    let shown = match lang {
        Locale::ZhCn => format!(
            "开启后，公示页面只显示：\n· 店名「{}」\n· 本店已确认的送达次数（送达对象不足 5 人时显示为「少于 5 人」）\n不显示其他任何内容，也绝不显示受助者的任何信息。",
            view.name
        ),
        Locale::En => format!(
            "When it is on, the page shows only:\n· your shop's name, “{}”\n· its number of confirmed deliveries (“fewer than 5” until they have reached 5 people)\nNothing else, and never anything about the people helped.",
            view.name
        ),
    };
    let mut text = format!("{state}\n{shown}");
    if !approved && !view.shown {
        text.push('\n');
        text.push_str(&pick(
            lang,
            "只有经街道办准入的商户才能公开展示。",
            "Only shops approved by the subdistrict office can be shown.",
        ));
    }
    text
}

/// Switch the listing on.
pub fn show_button(lang: Locale) -> String {
    pick(lang, "公开展示本店", "Show my shop")
}

/// Switch the listing off.
pub fn hide_button(lang: Locale) -> String {
    pick(lang, "不再公开展示", "Stop showing my shop")
}

/// The switch was saved (above the listing); `shown` is the new state.
pub fn switched(lang: Locale, shown: bool) -> String {
    match shown {
        true => pick(
            lang,
            "已开启公开展示（公示页面两分钟内更新）。",
            "Your shop is now shown (the page updates within two minutes).",
        ),
        false => pick(
            lang,
            "已关闭公开展示（公示页面两分钟内更新）。",
            "Your shop is no longer shown (the page updates within two minutes).",
        ),
    }
}

/// A shop that is not approved asked to be shown; `pending` tells waiting from suspended.
pub fn cannot_show(lang: Locale, pending: bool) -> String {
    match pending {
        true => pick(
            lang,
            "您的商户正在等待街道办审核准入，获准后才能在公示页面展示。设置未改变。",
            "Your shop is waiting for the subdistrict office's approval and can be shown on the public page once approved. Nothing was changed.",
        ),
        false => pick(
            lang,
            "您的商户已被街道办暂停，暂时不能在公示页面展示。设置未改变；如有疑问请联系街道办。",
            "Your shop has been suspended by the subdistrict office and cannot be shown on the public page for now. Nothing was changed; please contact the office.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_names_the_shop_and_reads_differently_in_both_languages() {
        for lang in Locale::ALL {
            let mut seen = Vec::new();
            for (shown, approved) in [(true, true), (true, false), (false, true), (false, false)] {
                let view = PublicListingView {
                    name: "海鲜街小店".into(),
                    shown,
                };
                let text = summary(lang, &view, approved);
                assert!(text.contains("海鲜街小店"), "{text}");
                assert!(!seen.contains(&text), "{text}");
                seen.push(text);
            }
            let menu = crate::text::command_list(lang);
            assert!(menu.iter().any(|(name, _)| *name == "public"), "{menu:?}");
        }
    }
}
