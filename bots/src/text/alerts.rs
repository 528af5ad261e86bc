//! The texts of `/alerts` and of the daily digest, in zh-CN and en.

use super::pick;
use crate::Locale;
use crate::desk::{AlertSettingsView, NeedCardView};

/// `hh:mm` of local minutes after midnight.
pub fn clock(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn list(lang: Locale, chosen: &[crate::desk::Choice]) -> String {
    if chosen.is_empty() {
        return pick(lang, "全部", "all");
    }
    let labels: Vec<&str> = chosen.iter().map(|c| c.label.as_str()).collect();
    labels.join(match lang {
        Locale::ZhCn => "、",
        Locale::En => ", ",
    })
}

/// The settings, one line each.
pub fn summary(lang: Locale, view: &AlertSettingsView) -> String {
    let quiet = match (view.quiet_hours, lang) {
        (Some((start, end)), Locale::ZhCn) => format!("{}–{}（期间的提醒在结束后送达）", clock(start), clock(end)),
        (Some((start, end)), Locale::En) => format!("{}–{} (alerts wait until they end)", clock(start), clock(end)),
        (None, _) => pick(lang, "无", "none"),
    };
    let delivery = match (view.digest, lang) {
        (true, Locale::ZhCn) => format!("每日汇总（{}）", clock(view.digest_minute)),
        (true, Locale::En) => format!("a daily digest at {}", clock(view.digest_minute)),
        (false, _) => pick(lang, "即时推送", "instant"),
    };
    let urgent = match (view.urgent_always, lang) {
        (true, Locale::ZhCn) => "开启（紧急需求不受上限、免打扰和汇总限制）",
        (false, Locale::ZhCn) => "关闭",
        (true, Locale::En) => "on (urgent needs pass the cap, quiet hours and digest)",
        (false, Locale::En) => "off",
    };
    let wide = match (view.other_subdistricts, lang) {
        (true, Locale::ZhCn) => "全区各街道",
        (false, Locale::ZhCn) => "仅本街道",
        (true, Locale::En) => "every subdistrict of the district",
        (false, Locale::En) => "own subdistrict only",
    };
    let paused = match (view.paused_by_credit, lang) {
        (true, Locale::ZhCn) => {
            "⚠ 本店信用目前为 D 级（待提升），新需求提醒（包括紧急需求）暂时停发；下面的设置等信用恢复后再生效。您仍可随时发送 /needs 浏览和认领需求；发送 /credit 看看怎样提升。\n\n"
        }
        (true, Locale::En) => {
            "⚠ Your shop's credit is in band D (room to improve) for now, so alerts of new needs, urgent ones too, are paused; the settings below apply again once it recovers. You can still send /needs to browse and claim at any time; send /credit to see how to raise it.\n\n"
        }
        (false, _) => "",
    };
    match lang {
        Locale::ZhCn => format!(
            "{paused}提醒设置（时间均为北京时间）\n关注类别：{}\n关注社区：{}\n每日提醒上限：{} 条\n免打扰时段：{quiet}\n推送方式：{delivery}\n紧急需求始终推送：{urgent}\n需求范围：{wide}",
            list(lang, &view.categories),
            list(lang, &view.communities),
            view.daily_cap,
        ),
        Locale::En => format!(
            "{paused}Alert settings (Beijing time)\nCategories: {}\nCommunities: {}\nDaily cap: {} alerts\nQuiet hours: {quiet}\nDelivery: {delivery}\nUrgent needs always: {urgent}\nNeeds from: {wide}",
            list(lang, &view.categories),
            list(lang, &view.communities),
            view.daily_cap,
        ),
    }
}

/// A change was saved (above the settings).
pub fn saved(lang: Locale) -> String {
    pick(lang, "已保存。", "Saved.")
}

/// Pick categories.
pub fn categories_button(lang: Locale) -> String {
    pick(lang, "关注类别", "Categories")
}

/// Pick communities.
pub fn communities_button(lang: Locale) -> String {
    pick(lang, "关注社区", "Communities")
}

/// Type a cap.
pub fn cap_button(lang: Locale) -> String {
    pick(lang, "每日上限", "Daily cap")
}

/// Type quiet hours.
pub fn quiet_button(lang: Locale) -> String {
    pick(lang, "免打扰时段", "Quiet hours")
}

/// Switch delivery; `digest` is the current mode.
pub fn mode_button(lang: Locale, digest: bool) -> String {
    match digest {
        true => pick(
            lang,
            "现为每日汇总：点此改为即时推送",
            "Now a daily digest: switch to instant",
        ),
        false => pick(
            lang,
            "现为即时推送：点此改为每日汇总",
            "Now instant: switch to a daily digest",
        ),
    }
}

/// The button that widens alerts to the district's other subdistricts, or narrows them back.
pub fn other_subdistricts_button(lang: Locale, on: bool) -> String {
    match on {
        true => pick(
            lang,
            "范围：全区（点此改为本街道）",
            "Now every subdistrict: switch to own only",
        ),
        false => pick(
            lang,
            "范围：本街道（点此扩大到全区）",
            "Now own subdistrict: switch to every one",
        ),
    }
}

/// Switch "urgent needs always"; `on` is the current state.
pub fn urgent_button(lang: Locale, on: bool) -> String {
    match on {
        // Says what it is now and what a tap does: "开启/关闭" alone reads as either.
        true => pick(
            lang,
            "紧急需求始终推送（现为开启）：点此关闭",
            "Urgent needs always (now on): turn off",
        ),
        false => pick(
            lang,
            "紧急需求始终推送（现为关闭）：点此开启",
            "Urgent needs always (now off): turn on",
        ),
    }
}

/// The category picker, with what is chosen.
pub fn pick_categories(lang: Locale, chosen: &[crate::desk::Choice]) -> String {
    match lang {
        Locale::ZhCn => format!("点选您关注的类别（当前：{}）。不选即为全部。", list(lang, chosen)),
        Locale::En => format!(
            "Tap the categories you want to hear of (now: {}). None chosen means all.",
            list(lang, chosen)
        ),
    }
}

/// The community picker, with what is chosen.
pub fn pick_communities(lang: Locale, chosen: &[crate::desk::Choice]) -> String {
    match lang {
        Locale::ZhCn => format!("点选您关注的社区（当前：{}）。不选即为全部。", list(lang, chosen)),
        Locale::En => format!(
            "Tap the communities you want to hear of (now: {}). None chosen means all.",
            list(lang, chosen)
        ),
    }
}

/// Every category again.
pub fn all_categories_button(lang: Locale) -> String {
    pick(lang, "全部类别", "All categories")
}

/// Every community again.
pub fn all_communities_button(lang: Locale) -> String {
    pick(lang, "全部社区", "All communities")
}

/// Back to the settings.
pub fn done_button(lang: Locale) -> String {
    pick(lang, "完成", "Done")
}

/// Asks for a cap.
pub fn ask_cap(lang: Locale, max: u32) -> String {
    match lang {
        Locale::ZhCn => format!("每天最多收到几条需求提醒？请回复 1 到 {max} 之间的数字（发送 /cancel 取消）。"),
        Locale::En => format!("How many need alerts a day at most? Reply with a number from 1 to {max} (or /cancel)."),
    }
}

/// The typed cap is not a number in range.
pub fn cap_invalid(lang: Locale, max: u32) -> String {
    match lang {
        Locale::ZhCn => format!("请回复 1 到 {max} 之间的整数（发送 /cancel 取消）。"),
        Locale::En => format!("Please reply with a whole number from 1 to {max} (or /cancel)."),
    }
}

/// Asks for quiet hours.
pub fn ask_quiet(lang: Locale) -> String {
    pick(
        lang,
        "请回复免打扰时段（北京时间），例如 22:00-08:00 或 22-8；回复「无」表示不设免打扰（发送 /cancel 取消）。",
        "Reply with your quiet hours (Beijing time), e.g. 22:00-08:00 or 22-8; reply “none” for no quiet hours (or /cancel).",
    )
}

/// The typed quiet hours cannot be read.
pub fn quiet_invalid(lang: Locale) -> String {
    pick(
        lang,
        "没有看懂这个时段。请按 22:00-08:00 的格式回复，开始和结束不能相同；或回复「无」。",
        "I could not read those hours. Please reply like 22:00-08:00, with a start and an end that differ, or “none”.",
    )
}

/// The head of a digest of `count` needs.
pub fn digest_intro(lang: Locale, count: usize) -> String {
    match lang {
        Locale::ZhCn => format!("今日汇总：{count} 项可能适合您的需求仍在等待认领："),
        Locale::En => format!("Your daily digest: {count} needs you may be able to help with are still waiting:"),
    }
}

/// One need of a digest, on one line.
pub fn digest_line(lang: Locale, number: usize, card: &NeedCardView) -> String {
    let urgent = match (card.urgent, lang) {
        (true, Locale::ZhCn) => "【紧急】",
        (true, Locale::En) => "[URGENT] ",
        (false, _) => "",
    };
    match lang {
        Locale::ZhCn => format!(
            "{number}. {urgent}{} · {} · 尚缺 {} {} · {} · 截止 {}",
            card.title, card.category, card.quantity_left, card.unit, card.community, card.deadline
        ),
        Locale::En => format!(
            "{number}. {urgent}{} · {} · {} {} still needed · {} · by {}",
            card.title, card.category, card.quantity_left, card.unit, card.community, card.deadline
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_toggle_says_what_it_is_now_and_what_a_tap_does() {
        for lang in Locale::ALL {
            for on in [true, false] {
                for label in [mode_button(lang, on), urgent_button(lang, on)] {
                    let (now, does) = match lang {
                        Locale::ZhCn => ("现为", "点此"),
                        Locale::En => ("Now", ": "),
                    };
                    assert!(
                        label.to_lowercase().contains(&now.to_lowercase()) && label.contains(does),
                        "{label}"
                    );
                }
            }
        }
    }
}
