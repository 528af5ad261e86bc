//! Every text the bot shows, in zh-CN and en, in one place. Tests build their expectations
//! from these functions, so a wording change never breaks a test.

pub mod alerts;
pub mod certificate;
pub mod credit;
pub mod events;
pub mod join;
pub mod public;
pub mod sponsor;

use crate::Locale;
use crate::desk::{ClaimState, ClaimView, DeskError, DropOffView, NeedCardView, OfferView};

fn pick(lang: Locale, zh: &str, en: &str) -> String {
    match lang {
        Locale::ZhCn => zh.to_owned(),
        Locale::En => en.to_owned(),
    }
}

/// The command menu: name and description, in `lang` (for `/help` and `setMyCommands`).
pub fn command_list(lang: Locale) -> Vec<(&'static str, String)> {
    crate::command::NAMES
        .iter()
        .map(|name| {
            let (zh, en) = match *name {
                "needs" => ("浏览待认领的需求", "Browse open needs"),
                "mine" => ("我的认领：送达、服务或放弃", "My claims: deliver, serve or release"),
                "offers" => ("我的长期供给（资源库）", "My standing offers"),
                "alerts" => (
                    "提醒设置：类别、社区、上限、免打扰",
                    "Alerts: interests, daily cap, quiet hours",
                ),
                "public" => (
                    "公开展示：是否在公示页面列出本店",
                    "Public listing: show my shop on the transparency page",
                ),
                "credit" => ("我的信用等级与提升方法", "My credit band and how to raise it"),
                "hours" => ("认领志愿服务时长", "Pledge volunteer hours"),
                "certificate" => (
                    "本年度爱心商户证书（PDF）与公益榜",
                    "This year's caring merchant certificate (PDF) and the roll of honour",
                ),
                "events" => (
                    "近期活动：认领需求或报名志愿者",
                    "Upcoming events: pledge support or sign staff up",
                ),
                "lang" => ("切换语言 中文/English", "Language: 中文/English"),
                "help" => ("帮助", "Help"),
                "join" => ("申请成为爱心商户", "Apply to join as a caring merchant"),
                _ => ("用一次性代码绑定本聊天", "Link this chat with a one-time code"),
            };
            (*name, pick(lang, zh, en))
        })
        .collect()
}

/// `/help`.
pub fn help(lang: Locale) -> String {
    let mut text = pick(
        lang,
        "爱心接力商户助手。可用命令：",
        "Charity relay, the merchants' assistant. Commands:",
    );
    for (name, description) in command_list(lang) {
        text.push_str(&format!("\n/{name} — {description}"));
    }
    text
}

/// An unlinked chat: how to link it.
pub fn how_to_link(lang: Locale) -> String {
    pick(
        lang,
        "本聊天尚未绑定爱心商户。请向街道办索取一次性绑定代码，然后发送：/start 代码\n还不是爱心商户？发送 /join 在这里申请。",
        "This chat is not linked to a caring merchant yet. Ask the subdistrict office for a one-time code, then send: /start CODE\nNot a caring merchant yet? Send /join to apply here.",
    )
}

/// `/start need-ID` (a poster's QR code) in a chat linked to no shop: how to join, and no
/// word of the need.
pub fn need_link_unlinked(lang: Locale) -> String {
    pick(
        lang,
        "您好！这是爱心接力的商户助手。海报上的需求由经街道办准入的爱心商户认领。\n想加入？发送 /join 申请成为爱心商户。\n已是爱心商户？请先用街道办给的一次性代码绑定本聊天：/start 代码",
        "Hello! This is the charity relay's assistant for merchants. The needs on the poster are claimed by caring merchants admitted by the subdistrict office.\nWant to join? Send /join to apply as a caring merchant.\nAlready one? First link this chat with the office's one-time code: /start CODE",
    )
}

/// `/start need-ID` for a need that is closed, missing or out of reach: one line for all.
pub fn need_link_closed(lang: Locale) -> String {
    pick(
        lang,
        "这项需求已不再开放认领。发送 /needs 查看正在等待认领的需求。",
        "This need is no longer open. Send /needs to see the needs that are.",
    )
}

/// Linked just now.
pub fn linked(lang: Locale, shop: &str) -> String {
    match lang {
        Locale::ZhCn => format!("绑定成功！本聊天现属于「{shop}」。发送 /needs 查看待认领的需求。"),
        Locale::En => format!("Linked! This chat now belongs to “{shop}”. Send /needs to see open needs."),
    }
}

/// `/start` in a linked chat.
pub fn welcome(lang: Locale, shop: &str) -> String {
    match lang {
        Locale::ZhCn => format!("欢迎回来，「{shop}」。发送 /needs 查看待认领的需求，/help 查看全部命令。"),
        Locale::En => format!("Welcome back, “{shop}”. Send /needs to see open needs, /help for every command."),
    }
}

/// `/start` in a chat of a shop that may not claim (yet): no "/needs", the status note follows.
pub fn greeting(lang: Locale, shop: &str) -> String {
    match lang {
        Locale::ZhCn => format!("您好，「{shop}」。"),
        Locale::En => format!("Hello, “{shop}”."),
    }
}

/// Linked just now, but the shop may not claim yet: the status note follows.
pub fn linked_waiting(lang: Locale, shop: &str) -> String {
    match lang {
        Locale::ZhCn => format!("绑定成功！本聊天现属于「{shop}」。"),
        Locale::En => format!("Linked! This chat now belongs to “{shop}”."),
    }
}

/// A pending merchant.
pub fn pending(lang: Locale) -> String {
    pick(
        lang,
        "您的商户正在等待街道办审核准入。审核通过后即可浏览和认领需求。",
        "Your shop is waiting for the subdistrict office's approval. Once approved you can browse and claim needs.",
    )
}

/// A suspended merchant.
pub fn suspended(lang: Locale) -> String {
    pick(
        lang,
        "您的商户已被街道办暂停，暂时不能浏览或认领需求。如有疑问请联系街道办。",
        "Your shop has been suspended by the subdistrict office and cannot browse or claim needs for now. Please contact the office.",
    )
}

/// `/start CODE` in the console, which is already bound to a merchant.
pub fn console_bound(lang: Locale) -> String {
    pick(
        lang,
        "控制台已绑定商户，无需代码。",
        "The console is already bound to a merchant; no code is needed.",
    )
}

/// A button whose data is unknown, tampered or out of date.
pub fn button_expired(lang: Locale) -> String {
    pick(
        lang,
        "抱歉，这个按钮已过期。请重新发送 /needs 或 /mine。",
        "Sorry, this button has expired. Please send /needs or /mine again.",
    )
}

/// A command the bot does not know.
pub fn unknown_command(lang: Locale) -> String {
    pick(
        lang,
        "没有这个命令。发送 /help 查看可用命令。",
        "There is no such command. Send /help to see what I can do.",
    )
}

/// Text the bot did not expect.
pub fn not_understood(lang: Locale) -> String {
    pick(
        lang,
        "我没有看懂。发送 /help 查看可用命令。",
        "I did not understand that. Send /help to see what I can do.",
    )
}

/// `/cancel`.
pub fn cancelled(lang: Locale) -> String {
    pick(lang, "好的，已取消。", "OK, cancelled.")
}

/// `/lang` without a choice.
pub fn lang_prompt(lang: Locale) -> String {
    pick(lang, "请选择语言：", "Choose a language:")
}

/// The language was switched (said in the new language).
pub fn lang_set(lang: Locale) -> String {
    pick(lang, "已切换为中文。", "Switched to English.")
}

/// The bot could not do it now; said when retries ran out.
pub fn unavailable(lang: Locale) -> String {
    pick(
        lang,
        "抱歉，系统暂时无法处理，请稍后再试。",
        "Sorry, I cannot do that right now. Please try again in a while.",
    )
}

/// A refusal, explained.
pub fn refusal(lang: Locale, error: &DeskError) -> String {
    match error {
        DeskError::NotLinked => how_to_link(lang),
        DeskError::Pending => pending(lang),
        DeskError::Suspended => suspended(lang),
        // The refusal does not know the need's unit: "份" (portions) reads right for any.
        DeskError::NotEnoughLeft { left } => only_left(
            lang,
            *left,
            match lang {
                Locale::ZhCn => "份",
                Locale::En => "",
            },
        ),
        DeskError::Gone => pick(
            lang,
            "抱歉，这项需求刚刚已被其他爱心商户认领完，或已关闭。发送 /needs 看看其他需求。",
            "Sorry, this need has just been claimed in full by another merchant, or it has closed. Send /needs for other needs.",
        ),
        DeskError::AlreadyYours => pick(
            lang,
            "您已认领了这项需求，无需重复认领。发送 /mine 查看。",
            "You have already claimed this need. Send /mine to see your claims.",
        ),
        DeskError::ClaimLimitReached { limit } => match lang {
            Locale::ZhCn => {
                format!("您已有 {limit} 项进行中的认领，达到当前上限。完成其中一项（送达或服务）后即可认领更多。")
            }
            Locale::En => {
                format!(
                    "You hold {limit} active claims, your current limit. Finish one (deliver or serve) and you can claim more."
                )
            }
        },
        DeskError::DeliverFirst => pick(
            lang,
            "您最近的认领连续逾期，请先完成一项进行中的认领（送达或服务），再认领新的需求。",
            "Your last claims lapsed in a row. Please finish an active claim (deliver or serve) before claiming new needs.",
        ),
        DeskError::CreditBandLimit => credit::one_at_a_time(lang),
        DeskError::NotFound => button_expired(lang),
        DeskError::WrongState => pick(
            lang,
            "这项认领的状态已经变化，无法执行该操作。发送 /mine 查看最新情况。",
            "This claim has changed and cannot do that now. Send /mine to see where it stands.",
        ),
        DeskError::WrongCode => pick(
            lang,
            "代码不正确或已被使用。请核对后重新发送：/start 代码",
            "That code is wrong or was already used. Please check it and send: /start CODE",
        ),
        DeskError::CodeExpired => pick(
            lang,
            "代码已过期（有效期 24 小时）。请向街道办索取新的代码。",
            "That code has expired (codes last 24 hours). Please ask the office for a new one.",
        ),
        DeskError::LockedOut { minutes } => match lang {
            Locale::ZhCn => format!("错误的代码次数过多。请 {minutes} 分钟后再试。"),
            Locale::En => format!("Too many wrong codes. Please try again in {minutes} minutes."),
        },
        DeskError::NotSponsorable => sponsor::not_sponsorable(lang),
        DeskError::OfferClosed => sponsor::offer_closed(lang),
        DeskError::CodeRegistered => join::code_registered(lang),
        DeskError::Invalid => pick(
            lang,
            "输入的内容无法接受，请检查后重试。",
            "That input cannot be accepted; please check it and try again.",
        ),
        DeskError::Unavailable => unavailable(lang),
    }
}

fn drop_off_line(lang: Locale, point: Option<&DropOffView>) -> String {
    // A point may have no address or hours on record: leave them out rather than print "（开放时间 ）".
    let place = |p: &DropOffView, comma: &str| {
        [p.name.trim(), p.address.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(comma)
    };
    match (point, lang) {
        (Some(p), Locale::ZhCn) if p.opening_hours.trim().is_empty() => format!("送达点：{}", place(p, "，")),
        (Some(p), Locale::En) if p.opening_hours.trim().is_empty() => format!("Drop-off: {}", place(p, ", ")),
        (Some(p), Locale::ZhCn) => format!("送达点：{}（开放时间 {}）", place(p, "，"), p.opening_hours.trim()),
        (Some(p), Locale::En) => format!("Drop-off: {} (open {})", place(p, ", "), p.opening_hours.trim()),
        (None, Locale::ZhCn) => "送达点：请与社工联系确认".to_owned(),
        (None, Locale::En) => "Drop-off: to be agreed with the social worker".to_owned(),
    }
}

/// One need card, numbered `number` in its list.
pub fn need_card(lang: Locale, number: usize, card: &NeedCardView) -> String {
    let urgent = match (card.urgent, lang) {
        (true, Locale::ZhCn) => "【紧急】",
        (true, Locale::En) => "[URGENT] ",
        (false, _) => "",
    };
    let description = if card.description.trim().is_empty() {
        String::new()
    } else {
        format!("\n{}", card.description.trim())
    };
    // Hours are served where the social worker arranges, not dropped off anywhere.
    let drop_off = if card.hours {
        String::new()
    } else {
        format!("\n{}", drop_off_line(lang, card.drop_off.as_ref()))
    };
    match lang {
        Locale::ZhCn => format!(
            "{number}. {urgent}{title}\n类别：{category}{description}\n尚缺：{left} {unit}\n社区：{community}（{group}）\n截止：{deadline}{drop_off}",
            title = card.title,
            category = card.category,
            left = card.quantity_left,
            unit = card.unit,
            community = card.community,
            group = card.group,
            deadline = card.deadline,
        ),
        Locale::En => format!(
            "{number}. {urgent}{title}\nCategory: {category}{description}\nStill needed: {left} {unit}\nCommunity: {community} ({group})\nDeadline: {deadline}{drop_off}",
            title = card.title,
            category = card.category,
            left = card.quantity_left,
            unit = card.unit,
            community = card.community,
            group = card.group,
            deadline = card.deadline,
        ),
    }
}

/// The head of a page of needs.
pub fn needs_header(lang: Locale, page: u32, hours: bool, filter: Option<&str>) -> String {
    let what = match (hours, lang) {
        (true, Locale::ZhCn) => "需要志愿服务时长的需求",
        (true, Locale::En) => "Needs for volunteer hours",
        (false, Locale::ZhCn) => "待认领的需求",
        (false, Locale::En) => "Open needs",
    };
    let filter = match (filter, lang) {
        (Some(f), Locale::ZhCn) => format!("（筛选：{f}）"),
        (Some(f), Locale::En) => format!(" (filter: {f})"),
        (None, _) => String::new(),
    };
    match lang {
        Locale::ZhCn => format!("{what}{filter} · 第 {} 页", page + 1),
        Locale::En => format!("{what}{filter} · page {}", page + 1),
    }
}

/// The footer under a page of needs, above its paging and filter buttons.
pub fn needs_footer(lang: Locale, hours: bool, more: bool) -> String {
    match (hours, more) {
        (false, true) => pick(
            lang,
            "还有更多待认领的需求，点「更多」查看下一页；也可以按类别或社区筛选。",
            "More needs are waiting: tap “More ▶” for the next page, or filter by category or community.",
        ),
        (false, false) => pick(
            lang,
            "以上是全部符合条件的需求。也可以按类别或社区筛选。",
            "That is every need that matches. You can also filter by category or community.",
        ),
        (true, _) => pick(
            lang,
            "还有更多需要志愿服务时长的需求，点「更多」查看下一页。",
            "More needs ask for volunteer hours: tap “More ▶” for the next page.",
        ),
    }
}

/// No open needs.
pub fn needs_empty(lang: Locale, hours: bool) -> String {
    match hours {
        true => pick(
            lang,
            "目前没有需要志愿服务时长的需求。",
            "No need asks for volunteer hours right now.",
        ),
        false => pick(
            lang,
            "目前没有符合条件的待认领需求。",
            "No open need matches right now.",
        ),
    }
}

/// "Claim all" on card `number`.
pub fn claim_all_button(lang: Locale, number: usize, hours: bool) -> String {
    match (lang, hours) {
        (Locale::ZhCn, false) => format!("全部认领 #{number}"),
        (Locale::ZhCn, true) => format!("认领全部时长 #{number}"),
        (Locale::En, false) => format!("Claim all #{number}"),
        (Locale::En, true) => format!("Pledge all hours #{number}"),
    }
}

/// Asks before claiming everything left of a need.
pub fn claim_all_question(lang: Locale, card: &NeedCardView) -> String {
    match (lang, card.hours) {
        (Locale::ZhCn, false) => format!("全部认领「{}」的 {} {}？", card.title, card.quantity_left, card.unit),
        (Locale::ZhCn, true) => format!(
            "为「{}」认领全部 {} {}志愿服务？",
            card.title, card.quantity_left, card.unit
        ),
        (Locale::En, false) => format!("Claim all {} {} of “{}”?", card.quantity_left, card.unit, card.title),
        (Locale::En, true) => format!(
            "Pledge all {} {} of service to “{}”?",
            card.quantity_left, card.unit, card.title
        ),
    }
}

/// "Yes" to claiming all.
pub fn claim_all_yes_button(lang: Locale) -> String {
    pick(lang, "是，全部认领", "Yes")
}

/// "No" to claiming all.
pub fn claim_all_no_button(lang: Locale) -> String {
    pick(lang, "否", "No")
}

/// Did not claim after all.
pub fn claim_all_kept(lang: Locale) -> String {
    pick(
        lang,
        "好的，没有认领。也可以点「部分认领」只认领一部分。",
        "OK, nothing was claimed. “Claim part” takes only some of it.",
    )
}

/// "Claim part" on card `number`.
pub fn claim_part_button(lang: Locale, number: usize, hours: bool) -> String {
    match (lang, hours) {
        (Locale::ZhCn, false) => format!("部分认领 #{number}"),
        (Locale::ZhCn, true) => format!("认领部分时长 #{number}"),
        (Locale::En, false) => format!("Claim part #{number}"),
        (Locale::En, true) => format!("Pledge some hours #{number}"),
    }
}

/// The next page.
pub fn more_button(lang: Locale) -> String {
    pick(lang, "更多 ▶", "More ▶")
}

/// Filter by category.
pub fn filter_category_button(lang: Locale) -> String {
    pick(lang, "按类别筛选", "By category")
}

/// Filter by community.
pub fn filter_community_button(lang: Locale) -> String {
    pick(lang, "按社区筛选", "By community")
}

/// Clear the filter.
pub fn clear_filter_button(lang: Locale) -> String {
    pick(lang, "全部需求", "All needs")
}

/// Pick a category to filter by.
pub fn choose_category(lang: Locale) -> String {
    pick(lang, "请选择类别：", "Choose a category:")
}

/// Pick a community to filter by.
pub fn choose_community(lang: Locale) -> String {
    pick(lang, "请选择社区：", "Choose a community:")
}

/// Ask how much of a need to claim.
pub fn ask_quantity(lang: Locale, card: &NeedCardView) -> String {
    match (lang, card.hours) {
        (Locale::ZhCn, false) => format!(
            "您要认领「{}」多少{}？请回复 1 到 {} 之间的数字（发送 /cancel 取消）。",
            card.title, card.unit, card.quantity_left
        ),
        (Locale::ZhCn, true) => format!(
            "您要为「{}」认领多少{}？请回复 1 到 {} 之间的数字（发送 /cancel 取消）。",
            card.title, card.unit, card.quantity_left
        ),
        (Locale::En, false) => format!(
            "How many {} of “{}” will you give? Reply with a number from 1 to {} (or /cancel).",
            card.unit, card.title, card.quantity_left
        ),
        (Locale::En, true) => format!(
            "How many {} will you pledge to “{}”? Reply with a number from 1 to {} (or /cancel).",
            card.unit, card.title, card.quantity_left
        ),
    }
}

/// The typed quantity is not a whole number.
pub fn not_a_number(lang: Locale, left: i32) -> String {
    match lang {
        Locale::ZhCn => format!("请回复 1 到 {left} 之间的整数（发送 /cancel 取消）。"),
        Locale::En => format!("Please reply with a whole number from 1 to {left} (or /cancel)."),
    }
}

/// Less is left than typed.
pub fn only_left(lang: Locale, left: i32, unit: &str) -> String {
    match lang {
        Locale::ZhCn => format!("只剩 {left} {unit}可认领了。请回复 1 到 {left} 之间的数字（发送 /cancel 取消）。"),
        Locale::En => {
            let unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            format!("Only {left}{unit} left. Please reply with a number from 1 to {left} (or /cancel).")
        }
    }
}

/// The full confirmation of a claim, with the handoff code.
pub fn confirmation(lang: Locale, claim: &ClaimView) -> String {
    let drop_off = drop_off_line(lang, claim.drop_off.as_ref());
    if claim.hours {
        // Hours are served, not handed over: no drop-off point, no handoff code.
        return match lang {
            Locale::ZhCn => format!(
                "感谢承诺！您为「{title}」认领了 {q} {unit}志愿服务。\n服务时间：{due} 前完成，具体时间和地点请与社工约定。",
                title = claim.need_title,
                q = claim.quantity,
                unit = claim.unit,
                due = claim.due,
            ),
            Locale::En => format!(
                "Thank you! You pledged {q} {unit} of service to “{title}”.\nService time: by {due}; agree the time and place with the social worker.",
                title = claim.need_title,
                q = claim.quantity,
                unit = claim.unit,
                due = claim.due,
            ),
        };
    }
    match lang {
        Locale::ZhCn => format!(
            "感谢认领！您认领了「{title}」{q} {unit}。\n请于 {due} 前送达。\n{drop_off}\n交接码：{code}（送达时出示）",
            title = claim.need_title,
            q = claim.quantity,
            unit = claim.unit,
            due = claim.due,
            code = claim.handoff_code,
        ),
        Locale::En => format!(
            "Thank you! You claimed {q} {unit} of “{title}”.\nPlease deliver by {due}.\n{drop_off}\nHandoff code: {code} (show it at drop-off)",
            title = claim.need_title,
            q = claim.quantity,
            unit = claim.unit,
            due = claim.due,
            code = claim.handoff_code,
        ),
    }
}

fn state_label(lang: Locale, state: ClaimState, hours: bool) -> &'static str {
    match (state, lang) {
        (ClaimState::Active, Locale::ZhCn) if hours => "待服务",
        (ClaimState::Active, Locale::En) if hours => "to serve",
        (ClaimState::Delivered, Locale::ZhCn) if hours => "已完成服务，待社工确认",
        (ClaimState::Delivered, Locale::En) if hours => "served, awaiting confirmation",
        (ClaimState::Active, Locale::ZhCn) => "待送达",
        (ClaimState::Active, Locale::En) => "to deliver",
        (ClaimState::Delivered, Locale::ZhCn) => "已送达，待社工确认",
        (ClaimState::Delivered, Locale::En) => "delivered, awaiting confirmation",
        (ClaimState::Confirmed, Locale::ZhCn) => "已确认",
        (ClaimState::Confirmed, Locale::En) => "confirmed",
        (ClaimState::Disputed, Locale::ZhCn) => "社工提出异议",
        (ClaimState::Disputed, Locale::En) => "disputed by the social worker",
        (ClaimState::Released, Locale::ZhCn) => "已放弃",
        (ClaimState::Released, Locale::En) => "released",
        (ClaimState::Lapsed, Locale::ZhCn) => "已逾期失效",
        (ClaimState::Lapsed, Locale::En) => "lapsed",
    }
}

/// `/mine` with no claim to act on.
pub fn mine_empty(lang: Locale) -> String {
    pick(
        lang,
        "您目前没有进行中的认领。发送 /needs 看看谁需要帮助。",
        "You have no claim in progress. Send /needs to see who needs help.",
    )
}

/// The head of `/mine`.
pub fn mine_header(lang: Locale) -> String {
    pick(lang, "我的认领：", "My claims:")
}

/// One claim in `/mine`: what, by when (marked when overdue), the handoff code for goods,
/// where it stands, and why it was disputed.
pub fn claim_line(lang: Locale, number: usize, claim: &ClaimView) -> String {
    let state = state_label(lang, claim.state, claim.hours);
    let overdue = match (claim.overdue, lang) {
        (true, Locale::ZhCn) => "【已逾期】",
        (true, Locale::En) => "[OVERDUE] ",
        (false, _) => "",
    };
    let mut line = match (lang, claim.hours) {
        (Locale::ZhCn, false) => format!(
            "{number}. {overdue}「{}」{} {} · {} 前送达 · 交接码 {} · {state}",
            claim.need_title, claim.quantity, claim.unit, claim.due, claim.handoff_code,
        ),
        (Locale::ZhCn, true) => format!(
            "{number}. {overdue}「{}」{} {}志愿服务 · 服务时间：{} 前 · {state}",
            claim.need_title, claim.quantity, claim.unit, claim.due,
        ),
        (Locale::En, false) => format!(
            "{number}. {overdue}“{}” {} {} · due {} · handoff code {} · {state}",
            claim.need_title, claim.quantity, claim.unit, claim.due, claim.handoff_code,
        ),
        (Locale::En, true) => format!(
            "{number}. {overdue}“{}” {} {} of service · service time: by {} · {state}",
            claim.need_title, claim.quantity, claim.unit, claim.due,
        ),
    };
    if let Some(reason) = claim
        .dispute_reason
        .as_deref()
        .filter(|_| claim.state == ClaimState::Disputed)
    {
        line.push_str(&match lang {
            Locale::ZhCn => format!("\n   社工的说明：{reason}"),
            Locale::En => format!("\n   The social worker says: {reason}"),
        });
    }
    line
}

/// "Delivered" (or, for hours, "Served") on claim `number`.
pub fn deliver_button(lang: Locale, number: usize, hours: bool) -> String {
    match (lang, hours) {
        (Locale::ZhCn, false) => format!("已送达 #{number}"),
        (Locale::ZhCn, true) => format!("已完成服务 #{number}"),
        (Locale::En, false) => format!("Delivered #{number}"),
        (Locale::En, true) => format!("Served #{number}"),
    }
}

/// "Delivered again" on disputed claim `number`: the merchant answers with a note.
pub fn redeliver_button(lang: Locale, number: usize, hours: bool) -> String {
    match (lang, hours) {
        (Locale::ZhCn, false) => format!("已补送，回复社工 #{number}"),
        (Locale::ZhCn, true) => format!("已补上服务，回复社工 #{number}"),
        (Locale::En, false) => format!("Delivered again: answer #{number}"),
        (Locale::En, true) => format!("Served again: answer #{number}"),
    }
}

/// Asks for the note of a merchant who delivered again after a dispute.
pub fn ask_redeliver_note(lang: Locale, claim: &ClaimView) -> String {
    let reason = claim.dispute_reason.clone().unwrap_or_default();
    if claim.hours {
        return match lang {
            Locale::ZhCn => format!(
                "社工对「{}」的说明：{reason}\n请用一句话告诉社工您是怎么处理的（例如补上了哪些服务），不要包含电话、身份证号、邮箱或网址（发送 /cancel 取消）。",
                claim.need_title
            ),
            Locale::En => format!(
                "The social worker said about “{}”: {reason}\nIn one line, tell the social worker what you did (what service you made up for), without phone numbers, ID numbers, emails or web links (or /cancel).",
                claim.need_title
            ),
        };
    }
    match lang {
        Locale::ZhCn => format!(
            "社工对「{}」的说明：{reason}\n请用一句话告诉社工您是怎么处理的（例如补送了什么、放在哪里），不要包含电话、身份证号、邮箱或网址（发送 /cancel 取消）。",
            claim.need_title
        ),
        Locale::En => format!(
            "The social worker said about “{}”: {reason}\nIn one line, tell the social worker what you did (what you brought again, where you left it), without phone numbers, ID numbers, emails or web links (or /cancel).",
            claim.need_title
        ),
    }
}

/// The note was empty, too long or named a person's details.
pub fn redeliver_note_invalid(lang: Locale) -> String {
    pick(
        lang,
        "请写一句 500 字以内的说明，不要包含电话、身份证号、邮箱或网址（发送 /cancel 取消）。",
        "Please write one line of at most 500 characters, without phone numbers, ID numbers, emails or web links (or /cancel).",
    )
}

/// Answered the dispute: the worker is asked to confirm again.
pub fn redelivered(lang: Locale, claim: &ClaimView) -> String {
    match lang {
        Locale::ZhCn => format!(
            "已告诉社工：「{}」已重新处理。社工确认后会通知您，谢谢！",
            claim.need_title
        ),
        Locale::En => format!(
            "The social worker now knows you dealt with “{}” again. You will hear when it is confirmed. Thank you!",
            claim.need_title
        ),
    }
}

/// "Release" on claim `number`.
pub fn release_button(lang: Locale, number: usize) -> String {
    match lang {
        Locale::ZhCn => format!("放弃 #{number}"),
        Locale::En => format!("Release #{number}"),
    }
}

/// "Resume" on disputed claim `number` (for hours: serve again): not done yet, to be done by
/// the due date — unlike "delivered again", which says it is done.
pub fn resume_button(lang: Locale, number: usize, hours: bool) -> String {
    match (lang, hours) {
        (Locale::ZhCn, false) => format!("稍后重新送达 #{number}"),
        (Locale::ZhCn, true) => format!("稍后重新服务 #{number}"),
        (Locale::En, false) => format!("Deliver again later #{number}"),
        (Locale::En, true) => format!("Serve again later #{number}"),
    }
}

/// Marked delivered.
pub fn delivered_done(lang: Locale, claim: &ClaimView) -> String {
    if claim.hours {
        return match lang {
            Locale::ZhCn => format!("已记录完成服务：「{}」。社工确认后会通知您，谢谢！", claim.need_title),
            Locale::En => format!(
                "Marked as served: “{}”. You will hear when the social worker confirms. Thank you!",
                claim.need_title
            ),
        };
    }
    match lang {
        Locale::ZhCn => format!("已记录送达：「{}」。社工确认后会通知您，谢谢！", claim.need_title),
        Locale::En => format!(
            "Marked as delivered: “{}”. You will hear when the social worker confirms. Thank you!",
            claim.need_title
        ),
    }
}

/// Asks to confirm a release.
pub fn release_question(lang: Locale, claim: &ClaimView) -> String {
    match lang {
        Locale::ZhCn => format!(
            "确定放弃「{}」{} {} 的认领吗？这些数量将重新开放给其他商户。",
            claim.need_title, claim.quantity, claim.unit
        ),
        Locale::En => format!(
            "Release your claim on {} {} of “{}”? It goes back to other merchants.",
            claim.quantity, claim.unit, claim.need_title
        ),
    }
}

/// Confirms the release.
pub fn release_yes_button(lang: Locale) -> String {
    pick(lang, "确定放弃", "Yes, release")
}

/// Keeps the claim.
pub fn release_no_button(lang: Locale) -> String {
    pick(lang, "保留认领", "No, keep it")
}

/// Released.
pub fn released(lang: Locale, claim: &ClaimView) -> String {
    match lang {
        Locale::ZhCn => format!("已放弃「{}」的认领。", claim.need_title),
        Locale::En => format!("Your claim on “{}” is released.", claim.need_title),
    }
}

/// Kept after all.
pub fn kept(lang: Locale) -> String {
    pick(lang, "好的，认领保留。", "OK, you keep the claim.")
}

/// Resumed after a dispute.
pub fn resumed(lang: Locale, claim: &ClaimView) -> String {
    match (lang, claim.hours) {
        (Locale::ZhCn, false) => format!("「{}」已重新开始，请于 {} 前送达。", claim.need_title, claim.due),
        (Locale::ZhCn, true) => format!("「{}」已重新开始，服务时间：{} 前。", claim.need_title, claim.due),
        (Locale::En, false) => format!(
            "“{}” is active again; please deliver by {}.",
            claim.need_title, claim.due
        ),
        (Locale::En, true) => format!(
            "“{}” is active again; service time: by {}.",
            claim.need_title, claim.due
        ),
    }
}

/// The head of `/offers`.
pub fn offers_header(lang: Locale) -> String {
    pick(lang, "我的长期供给：", "My standing offers:")
}

/// No offer yet.
pub fn offers_empty(lang: Locale) -> String {
    pick(
        lang,
        "您还没有长期供给。添加后，符合的新需求会第一时间推送给您。",
        "You have no standing offer yet. Add one and new needs that fit it are sent to you first.",
    )
}

/// One offer.
pub fn offer_line(lang: Locale, number: usize, offer: &OfferView) -> String {
    let communities = offer.communities.join(match lang {
        Locale::ZhCn => "、",
        Locale::En => ", ",
    });
    match lang {
        Locale::ZhCn => format!(
            "{number}. {}：{} · 每月 {} · 服务社区：{} · {}",
            offer.category,
            offer.description,
            offer.monthly_capacity,
            communities,
            if offer.active { "生效中" } else { "已暂停" }
        ),
        Locale::En => format!(
            "{number}. {}: {} · {} a month · serves {} · {}",
            offer.category,
            offer.description,
            offer.monthly_capacity,
            communities,
            if offer.active { "active" } else { "paused" }
        ),
    }
}

/// Pause offer `number`.
pub fn pause_button(lang: Locale, number: usize) -> String {
    match lang {
        Locale::ZhCn => format!("暂停 #{number}"),
        Locale::En => format!("Pause #{number}"),
    }
}

/// Resume offer `number`.
pub fn resume_offer_button(lang: Locale, number: usize) -> String {
    match lang {
        Locale::ZhCn => format!("恢复 #{number}"),
        Locale::En => format!("Resume #{number}"),
    }
}

/// Add an offer.
pub fn add_offer_button(lang: Locale) -> String {
    pick(lang, "添加供给", "Add an offer")
}

/// Step 1 of adding an offer.
pub fn offer_pick_category(lang: Locale) -> String {
    pick(
        lang,
        "您能长期提供哪一类帮助？",
        "What kind of help can you offer regularly?",
    )
}

/// Step 2.
pub fn offer_ask_description(lang: Locale, category: &str) -> String {
    match lang {
        Locale::ZhCn => format!("类别：{category}。请简单描述您提供的内容（不超过 200 字）。"),
        Locale::En => format!("Category: {category}. Describe briefly what you offer (up to 200 characters)."),
    }
}

/// A description that is empty or too long.
pub fn offer_description_invalid(lang: Locale) -> String {
    pick(
        lang,
        "描述不能为空，且不超过 200 字。请重新输入。",
        "The description must be 1 to 200 characters. Please type it again.",
    )
}

/// Step 3.
pub fn offer_ask_capacity(lang: Locale) -> String {
    pick(
        lang,
        "每月大约能提供多少份（次）？请回复 1 到 10000 之间的数字。",
        "About how many units a month can you give? Reply with a number from 1 to 10000.",
    )
}

/// A capacity that is not a number in range.
pub fn offer_capacity_invalid(lang: Locale) -> String {
    pick(
        lang,
        "请回复 1 到 10000 之间的整数。",
        "Please reply with a whole number from 1 to 10000.",
    )
}

/// Step 4, with what is picked so far.
pub fn offer_pick_communities(lang: Locale, picked: &[String]) -> String {
    match (lang, picked.is_empty()) {
        (Locale::ZhCn, true) => "您服务哪些社区？请点选，选好后点「完成」。".to_owned(),
        (Locale::En, true) => "Which communities do you serve? Tap them, then “Done”.".to_owned(),
        (Locale::ZhCn, false) => format!("已选：{}。继续点选，或点「完成」。", picked.join("、")),
        (Locale::En, false) => format!("Picked: {}. Tap more, or “Done”.", picked.join(", ")),
    }
}

/// Finish picking communities.
pub fn offer_done_button(lang: Locale) -> String {
    pick(lang, "完成", "Done")
}

/// "Done" with no community.
pub fn offer_need_community(lang: Locale) -> String {
    pick(lang, "请至少选择一个社区。", "Please pick at least one community.")
}

/// Offer added.
pub fn offer_added(lang: Locale, offer: &OfferView) -> String {
    match lang {
        Locale::ZhCn => format!(
            "已添加供给：{}：{}。符合的新需求会推送给您。",
            offer.category, offer.description
        ),
        Locale::En => format!(
            "Offer added: {}: {}. New needs that fit it will be sent to you.",
            offer.category, offer.description
        ),
    }
}

/// Offer paused.
pub fn offer_paused(lang: Locale, offer: &OfferView) -> String {
    match lang {
        Locale::ZhCn => format!("已暂停：{}：{}。", offer.category, offer.description),
        Locale::En => format!("Paused: {}: {}.", offer.category, offer.description),
    }
}

/// Offer resumed.
pub fn offer_resumed(lang: Locale, offer: &OfferView) -> String {
    match lang {
        Locale::ZhCn => format!("已恢复：{}：{}。", offer.category, offer.description),
        Locale::En => format!("Resumed: {}: {}.", offer.category, offer.description),
    }
}

/// The head of a pushed need (its card and claim buttons follow).
pub fn alert_intro(lang: Locale) -> String {
    pick(
        lang,
        "有一项需求可能适合您，正在等待认领（/alerts 可调整提醒）：",
        "A need you may be able to help with is waiting (/alerts to adjust alerts):",
    )
}

/// The card a social worker asked this shop about (a directed request), naming who asked.
pub fn asked_intro(lang: Locale, organization: &str) -> String {
    match lang {
        Locale::ZhCn => format!(
            "「{organization}」在爱心资源库里看到了贵店，想问您能不能帮忙完成下面这项需求。能帮请点认领；这次帮不上，也请点最下面的按钮告诉对方："
        ),
        Locale::En => format!(
            "“{organization}” found your shop in the resource library and asks whether you can help with the need below. If you can, tap a claim button; if not this time, please say so with the last button:"
        ),
    }
}

/// The button under an asked card that says no.
pub fn ask_decline_button(lang: Locale) -> String {
    pick(lang, "这次帮不上", "Can't help this time")
}

/// Before saying no to a request: what the worker will read, and that claiming stays open.
pub fn ask_decline_confirm(lang: Locale) -> String {
    pick(
        lang,
        "确定这次帮不上吗？社工会在需求页上看到“已婉拒”，并另找商户。如果其实能帮，请直接用上面卡片里的认领按钮；点错了的话，不用理会这条消息。婉拒不影响本店信用。",
        "Can't help this time? The social worker will see \"declined\" on the need's page and ask another shop. If you can help after all, use the claim buttons on the card above; tapped by mistake, just ignore this message. Saying no does not affect your credit.",
    )
}

/// The button that says no, once asked.
pub fn ask_decline_yes_button(lang: Locale) -> String {
    pick(lang, "是，这次帮不上", "Yes, can't help this time")
}

/// Saying no while holding a claim on the need.
pub fn ask_decline_claimed(lang: Locale) -> String {
    pick(
        lang,
        "您已认领了这项需求，社工看到的是“已认领”。如需放弃，请发送 /mine，点这项认领下的“放弃”按钮。",
        "You hold a claim on this need, and the social worker sees \"claimed\". To give it back, send /mine and tap \"Release\" under that claim.",
    )
}

/// After the shop said no to a request.
pub fn ask_declined(lang: Locale) -> String {
    pick(
        lang,
        "好的，需求页上会显示您这次帮不上，社工可以另找商户。谢谢您告诉我们！",
        "All right: the need's page now shows you can't help this time, so the social worker can ask another shop. Thank you for saying so!",
    )
}

/// A notification the relay sends a merchant (from the outbox), rendered as text. Each
/// about a claim knows whether the claim is of volunteer hours (`hours`): hours are served,
/// goods are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A claim was made (through the API, say) — the confirmation.
    ClaimConfirmed(ClaimView),
    /// The social worker confirmed a delivery (or a service).
    Thanks {
        /// Need title.
        title: String,
        /// Quantity delivered.
        quantity: i32,
        /// Unit.
        unit: String,
        /// Rating 1–5, if given.
        rating: Option<i64>,
        /// Volunteer hours, served.
        hours: bool,
    },
    /// The social worker disputed a delivery.
    Disputed {
        /// Need title.
        title: String,
        /// Why, in the worker's public words.
        reason: String,
        /// Volunteer hours, served.
        hours: bool,
    },
    /// A claim lapsed.
    Lapsed {
        /// Need title.
        title: String,
        /// Quantity.
        quantity: i32,
        /// Unit.
        unit: String,
        /// Volunteer hours, served.
        hours: bool,
    },
    /// A claim is due soon.
    Reminder {
        /// Need title.
        title: String,
        /// Quantity.
        quantity: i32,
        /// Unit.
        unit: String,
        /// Due date.
        due: String,
        /// True the day before it is due; false at half-time.
        tomorrow: bool,
        /// Volunteer hours, served.
        hours: bool,
    },
    /// After a dispute the social worker asks the merchant to deliver again.
    DeliverAgain {
        /// Need title.
        title: String,
        /// The dispute's reason.
        reason: String,
        /// Due date of the renewed claim.
        due: String,
        /// Volunteer hours, served.
        hours: bool,
    },
    /// After a dispute the social worker ended the claim.
    EndedByWorker {
        /// Need title.
        title: String,
        /// Quantity.
        quantity: i32,
        /// Unit.
        unit: String,
        /// Volunteer hours, served.
        hours: bool,
    },
    /// A sponsorship ended (not at the merchant's word).
    SponsorshipEnded {
        /// Need title.
        title: String,
        /// Why: the service's reason code.
        reason: String,
    },
    /// The need of a claim was cancelled or expired; the claim ended with it.
    NeedEnded {
        /// Need title.
        title: String,
        /// True when expired, false when cancelled.
        expired: bool,
        /// Why the social worker cancelled it (public text); empty when expired.
        reason: String,
        /// Volunteer hours, served.
        hours: bool,
    },
}

/// The text of a notification.
pub fn notice(lang: Locale, notice: &Notice) -> String {
    match notice {
        Notice::ClaimConfirmed(claim) => confirmation(lang, claim),
        Notice::Thanks {
            title,
            quantity,
            unit,
            rating,
            hours,
        } => {
            let stars = rating.map(|r| "★".repeat(r.clamp(0, 5) as usize));
            match (lang, hours, stars) {
                (Locale::ZhCn, false, Some(s)) => {
                    format!("社工已确认收到您送达的「{title}」{quantity} {unit}，评价：{s}。衷心感谢您的爱心！")
                }
                (Locale::ZhCn, false, None) => {
                    format!("社工已确认收到您送达的「{title}」{quantity} {unit}。衷心感谢您的爱心！")
                }
                (Locale::ZhCn, true, Some(s)) => format!(
                    "社工已确认：您为「{title}」提供的 {quantity} {unit}志愿服务已完成服务，评价：{s}。衷心感谢您的爱心！"
                ),
                (Locale::ZhCn, true, None) => {
                    format!("社工已确认：您为「{title}」提供的 {quantity} {unit}志愿服务已完成服务。衷心感谢您的爱心！")
                }
                (Locale::En, false, Some(s)) => format!(
                    "The social worker confirmed your delivery of {quantity} {unit} of “{title}” and rated it {s}. Thank you for your kindness!"
                ),
                (Locale::En, false, None) => format!(
                    "The social worker confirmed your delivery of {quantity} {unit} of “{title}”. Thank you for your kindness!"
                ),
                (Locale::En, true, Some(s)) => format!(
                    "The social worker confirmed your {quantity} {unit} of service to “{title}”: service done, rated {s}. Thank you for your kindness!"
                ),
                (Locale::En, true, None) => format!(
                    "The social worker confirmed your {quantity} {unit} of service to “{title}”: service done. Thank you for your kindness!"
                ),
            }
        }
        Notice::Disputed { title, reason, hours } => match (lang, hours) {
            (Locale::ZhCn, false) => {
                format!(
                    "社工对「{title}」的送达有疑问：{reason}\n发送 /mine：已补送的可回复社工；也可以稍后重新送达，或放弃认领。"
                )
            }
            (Locale::ZhCn, true) => {
                format!(
                    "社工对「{title}」的志愿服务有疑问：{reason}\n发送 /mine：已补上服务的可回复社工；也可以稍后重新服务，或放弃认领。"
                )
            }
            (Locale::En, false) => format!(
                "The social worker has a question about your delivery of “{title}”: {reason}\nSend /mine to tell the social worker you have delivered again, to deliver again later, or to release the claim."
            ),
            (Locale::En, true) => format!(
                "The social worker has a question about your service to “{title}”: {reason}\nSend /mine to tell the social worker you have served again, to serve again later, or to release the claim."
            ),
        },
        Notice::DeliverAgain {
            title,
            reason,
            due,
            hours,
        } => match (lang, hours) {
            (Locale::ZhCn, false) => {
                format!("社工请您重新送达「{title}」（说明：{reason}），请于 {due} 前送达。发送 /mine 查看。")
            }
            (Locale::ZhCn, true) => {
                format!("社工请您为「{title}」重新服务（说明：{reason}），服务时间：{due} 前。发送 /mine 查看。")
            }
            (Locale::En, false) => format!(
                "The social worker asks you to deliver “{title}” again ({reason}), by {due}. Send /mine to see it."
            ),
            (Locale::En, true) => format!(
                "The social worker asks you to serve “{title}” again ({reason}); service time: by {due}. Send /mine to see it."
            ),
        },
        Notice::EndedByWorker {
            title,
            quantity,
            unit,
            hours,
        } => match (lang, hours) {
            (Locale::ZhCn, false) => format!(
                "社工处理异议后结束了您对「{title}」{quantity} {unit} 的认领，这些数量已重新开放。感谢您的付出！"
            ),
            (Locale::ZhCn, true) => format!(
                "社工处理异议后结束了您为「{title}」认领的 {quantity} {unit}志愿服务，这些时长已重新开放。感谢您的付出！"
            ),
            (Locale::En, false) => format!(
                "After the dispute the social worker ended your claim on {quantity} {unit} of “{title}”; it is open again. Thank you for your effort!"
            ),
            (Locale::En, true) => format!(
                "After the dispute the social worker ended your pledge of {quantity} {unit} of service to “{title}”; the hours are open again. Thank you for your effort!"
            ),
        },
        Notice::Lapsed {
            title,
            quantity,
            unit,
            hours,
        } => match (lang, hours) {
            (Locale::ZhCn, false) => {
                format!("您对「{title}」{quantity} {unit} 的认领已逾期失效，已重新开放给其他商户。")
            }
            (Locale::ZhCn, true) => {
                format!("您为「{title}」认领的 {quantity} {unit}志愿服务已过服务时间，认领失效，已重新开放给其他商户。")
            }
            (Locale::En, false) => {
                format!("Your claim on {quantity} {unit} of “{title}” lapsed and is open to other merchants again.")
            }
            (Locale::En, true) => format!(
                "Your pledge of {quantity} {unit} of service to “{title}” lapsed (its service time passed) and is open to other merchants again."
            ),
        },
        Notice::Reminder {
            title,
            quantity,
            unit,
            due,
            tomorrow,
            hours,
        } => match (lang, hours, tomorrow) {
            (Locale::ZhCn, false, true) => {
                format!("提醒：「{title}」{quantity} {unit} 明天（{due}）到期，请及时送达。")
            }
            (Locale::ZhCn, false, false) => format!("提醒：「{title}」{quantity} {unit} 请于 {due} 前送达。"),
            (Locale::ZhCn, true, true) => format!(
                "提醒：您为「{title}」认领的 {quantity} {unit}志愿服务，服务时间明天（{due}）截止，请及时完成服务。"
            ),
            (Locale::ZhCn, true, false) => {
                format!("提醒：您为「{title}」认领的 {quantity} {unit}志愿服务，服务时间：{due} 前。")
            }
            (Locale::En, false, true) => format!("Reminder: {quantity} {unit} of “{title}” are due tomorrow ({due})."),
            (Locale::En, false, false) => format!("Reminder: {quantity} {unit} of “{title}” are due by {due}."),
            (Locale::En, true, true) => format!(
                "Reminder: the service time of your {quantity} {unit} of service to “{title}” ends tomorrow ({due})."
            ),
            (Locale::En, true, false) => {
                format!("Reminder: please serve your {quantity} {unit} for “{title}” by {due} (service time).")
            }
        },
        Notice::SponsorshipEnded { title, reason } => sponsor::ended(lang, title, reason),
        Notice::NeedEnded {
            title,
            expired,
            reason,
            hours,
        } => {
            let ended = match (lang, expired, hours) {
                (Locale::ZhCn, true, false) => format!("「{title}」已过截止日期，您的认领随之结束，无需再送达。"),
                (Locale::ZhCn, false, false) => format!("社工已取消「{title}」，您的认领随之结束，无需再送达。"),
                (Locale::ZhCn, true, true) => format!("「{title}」已过截止日期，您的认领随之结束，无需再提供服务。"),
                (Locale::ZhCn, false, true) => format!("社工已取消「{title}」，您的认领随之结束，无需再提供服务。"),
                (Locale::En, true, false) => {
                    format!("“{title}” passed its deadline; your claim ended with it and nothing needs delivering.")
                }
                (Locale::En, false, false) => format!(
                    "The social worker cancelled “{title}”; your claim ended with it and nothing needs delivering."
                ),
                (Locale::En, true, true) => {
                    format!("“{title}” passed its deadline; your pledge ended with it and no service is needed.")
                }
                (Locale::En, false, true) => {
                    format!(
                        "The social worker cancelled “{title}”; your pledge ended with it and no service is needed."
                    )
                }
            };
            match (lang, reason.trim()) {
                (_, "") => ended,
                (Locale::ZhCn, why) => format!("{ended}\n取消原因：{why}"),
                (Locale::En, why) => format!("{ended}\nReason: {why}"),
            }
        }
    }
}

#[cfg(test)]
mod drop_off_tests {
    use super::*;

    #[test]
    fn a_drop_off_point_without_hours_shows_no_empty_brackets() {
        let point = DropOffView {
            name: "东和社区爱心驿站".into(),
            address: "东和路8号".into(),
            opening_hours: " ".into(),
        };
        assert_eq!(
            drop_off_line(Locale::ZhCn, Some(&point)),
            "送达点：东和社区爱心驿站，东和路8号"
        );
        assert_eq!(
            drop_off_line(Locale::En, Some(&point)),
            "Drop-off: 东和社区爱心驿站, 东和路8号"
        );
        let open = DropOffView {
            opening_hours: "9:00–18:00".into(),
            address: String::new(),
            ..point
        };
        assert_eq!(
            drop_off_line(Locale::ZhCn, Some(&open)),
            "送达点：东和社区爱心驿站（开放时间 9:00–18:00）"
        );
    }
}

#[cfg(test)]
mod hours_words_tests {
    use super::*;

    #[test]
    fn refusals_that_know_no_category_speak_of_delivering_or_serving() {
        for error in [
            DeskError::ClaimLimitReached { limit: 3 },
            DeskError::DeliverFirst,
            DeskError::CreditBandLimit,
        ] {
            assert!(refusal(Locale::ZhCn, &error).contains("送达或服务"), "{error:?}");
            assert!(refusal(Locale::En, &error).contains("deliver or serve"), "{error:?}");
        }
        let mine = command_list(Locale::En).into_iter().find(|(name, _)| *name == "mine");
        assert!(mine.is_some_and(|(_, about)| about.contains("serve")));
    }
}
