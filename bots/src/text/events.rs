//! The texts of `/events`: upcoming events, pledging support to their needs and signing a
//! staff member up as a volunteer, in zh-CN and en.

use super::pick;
use crate::Locale;
use crate::desk::{EventRoleView, EventView, StaffLimit};

/// The head of the list, above the first event.
pub fn header(lang: Locale) -> String {
    pick(lang, "近期活动", "Upcoming events")
}

/// No upcoming event in the shop's subdistrict.
pub fn none(lang: Locale) -> String {
    pick(
        lang,
        "本街道近期没有活动。有新活动时，发送 /events 即可查看。",
        "No upcoming events in your subdistrict. Send /events again later to see new ones.",
    )
}

/// One role's places.
pub fn role_line(lang: Locale, role: &EventRoleView) -> String {
    let free = role.free();
    match (lang, free) {
        (Locale::ZhCn, 0) => format!("· {}：{} 个名额已满，可排队候补", role.name, role.slots),
        (Locale::ZhCn, _) => format!("· {}：还有 {free} 个名额（共 {}）", role.name, role.slots),
        (Locale::En, 0) => format!("· {}: all {} places taken (waitlist open)", role.name, role.slots),
        (Locale::En, 1) => format!("· {}: 1 of {} places free", role.name, role.slots),
        (Locale::En, _) => format!("· {}: {free} of {} places free", role.name, role.slots),
    }
}

/// One event, numbered `number` in the list.
pub fn event(lang: Locale, number: usize, e: &EventView) -> String {
    let needs = match (lang, e.open_needs) {
        (Locale::ZhCn, 0) => "活动需求：已全部认领".to_owned(),
        (Locale::ZhCn, n) => format!("活动需求：{n} 项待认领"),
        (Locale::En, 0) => "Needs: all claimed".to_owned(),
        (Locale::En, 1) => "Needs: 1 open".to_owned(),
        (Locale::En, n) => format!("Needs: {n} open"),
    };
    let mut text = match lang {
        Locale::ZhCn => format!(
            "{number}. {}（{}）\n时间：{}\n地点：{}\n{needs}",
            e.title, e.kind, e.when, e.place
        ),
        Locale::En => format!(
            "{number}. {} ({})\nWhen: {}\nWhere: {}\n{needs}",
            e.title, e.kind, e.when, e.place
        ),
    };
    if !e.roles.is_empty() {
        text.push('\n');
        text.push_str(&pick(lang, "志愿者岗位：", "Volunteer roles:"));
        for role in &e.roles {
            text.push('\n');
            text.push_str(&role_line(lang, role));
        }
    }
    text
}

/// The button that shows event `number`'s open needs.
pub fn pledge_button(lang: Locale, number: usize) -> String {
    match lang {
        Locale::ZhCn => format!("认领活动需求 #{number}"),
        Locale::En => format!("Pledge support #{number}"),
    }
}

/// The button that signs a staff member up at event `number`.
pub fn staff_button(lang: Locale, number: usize) -> String {
    match lang {
        Locale::ZhCn => format!("报名志愿者 #{number}"),
        Locale::En => format!("Sign staff up #{number}"),
    }
}

/// Above the event's open needs.
pub fn pledge_header(lang: Locale, title: &str) -> String {
    match lang {
        Locale::ZhCn => format!("「{title}」的待认领需求："),
        Locale::En => format!("Open needs of “{title}”:"),
    }
}

/// The event's needs are all claimed (or closed).
pub fn no_open_needs(lang: Locale) -> String {
    pick(
        lang,
        "这个活动的需求已全部认领，感谢关注！发送 /needs 查看其他需求。",
        "Every need of this event has been claimed, thank you! Send /needs for other needs.",
    )
}

/// The event is over, cancelled, or no longer in the shop's subdistrict.
pub fn gone(lang: Locale) -> String {
    pick(
        lang,
        "这个活动已结束或不再开放。发送 /events 查看近期活动。",
        "This event is over or no longer open. Send /events to see upcoming ones.",
    )
}

/// Which role, with one button a role.
pub fn pick_role(lang: Locale, title: &str) -> String {
    match lang {
        Locale::ZhCn => format!("为「{title}」报名志愿者：请选择岗位。"),
        Locale::En => format!("Sign staff up for “{title}”: pick a role."),
    }
}

/// A role's button: its name and whether a place is free.
pub fn role_button(lang: Locale, role: &EventRoleView) -> String {
    match (lang, role.free()) {
        (Locale::ZhCn, 0) => format!("{}（已满，候补）", role.name),
        (Locale::ZhCn, n) => format!("{}（余 {n}）", role.name),
        (Locale::En, 0) => format!("{} (full, waitlist)", role.name),
        (Locale::En, n) => format!("{} ({n} free)", role.name),
    }
}

/// Asks the staff member's name for `role`.
pub fn ask_name(lang: Locale, role: &str, max: usize) -> String {
    match lang {
        Locale::ZhCn => {
            format!("请输入参加「{role}」岗位的员工姓名（{max} 字以内），组织方签到时会用到。发送 /cancel 放弃。")
        }
        Locale::En => format!(
            "Please type the name of the staff member for “{role}” ({max} characters at most); the organizer checks people in by it. Send /cancel to stop."
        ),
    }
}

/// The typed name is empty, too long or spans lines.
pub fn name_invalid(lang: Locale, max: usize) -> String {
    match lang {
        Locale::ZhCn => format!("姓名需为一行，1 到 {max} 个字。请重新输入，或发送 /cancel 放弃。"),
        Locale::En => {
            format!("The name must be one line of 1 to {max} characters. Please type it again, or send /cancel.")
        }
    }
}

/// "Sign up?", naming who, where and as what.
pub fn confirm(lang: Locale, name: &str, title: &str, role: &EventRoleView) -> String {
    let full = role.free() == 0;
    match (lang, full) {
        (Locale::ZhCn, false) => format!("为「{name}」报名「{title}」的「{}」岗位？", role.name),
        (Locale::ZhCn, true) => format!(
            "「{}」岗位已满。为「{name}」报名「{title}」的候补？有人取消时按顺序递补。",
            role.name
        ),
        (Locale::En, false) => format!("Sign “{name}” up as “{}” at “{title}”?", role.name),
        (Locale::En, true) => format!(
            "“{}” is full. Put “{name}” on the waitlist of “{title}”? Places go in order when someone cancels.",
            role.name
        ),
    }
}

/// The "sign up" button of the question.
pub fn yes_button(lang: Locale) -> String {
    pick(lang, "确认报名", "Sign up")
}

/// The "cancel" button of the question.
pub fn no_button(lang: Locale) -> String {
    pick(lang, "取消", "Cancel")
}

/// Buttons are expected, not text.
pub fn tap_to_confirm(lang: Locale) -> String {
    pick(
        lang,
        "请点按上面的「确认报名」或「取消」。",
        "Please tap “Sign up” or “Cancel” above.",
    )
}

/// Signed up.
pub fn signed_up(lang: Locale, name: &str, title: &str) -> String {
    match lang {
        Locale::ZhCn => format!("已为「{name}」报名「{title}」。感谢贵店的支持！"),
        Locale::En => format!("“{name}” is signed up for “{title}”. Thank you for your support!"),
    }
}

/// On the waitlist at `position`.
pub fn waitlisted(lang: Locale, name: &str, title: &str, position: u32) -> String {
    match lang {
        Locale::ZhCn => format!("岗位已满：「{name}」已列入「{title}」候补第 {position} 位，有人取消时按顺序递补。"),
        Locale::En => format!(
            "The role is full: “{name}” is number {position} on the waitlist of “{title}”, moving up in order when someone cancels."
        ),
    }
}

/// Nobody was signed up: the shop reached `limit`, said as the rule it is.
pub fn too_many(lang: Locale, name: &str, title: &str, limit: StaffLimit) -> String {
    match (lang, limit) {
        (Locale::ZhCn, StaffLimit::Role { places, most }) => format!(
            "未能为「{name}」报名：贵店在这个岗位已报名 {places} 人，达到了它的名额数。每家店为一个岗位报名的员工不超过它的名额，每场活动最多 {most} 人。可以改选其他岗位。",
        ),
        (Locale::ZhCn, StaffLimit::Event { most }) => {
            format!("未能为「{name}」报名：贵店已为「{title}」报名 {most} 人，每家店每场活动最多报名 {most} 人。")
        }
        (Locale::En, StaffLimit::Role { places, most }) => format!(
            "“{name}” was not signed up: your shop already has {places} staff in this role, as many as it has places. A shop signs up no more staff for a role than its places, and at most {most} for an event. You may pick another role.",
        ),
        (Locale::En, StaffLimit::Event { most }) => format!(
            "“{name}” was not signed up: your shop has signed up {most} staff for “{title}”, the most a shop may for one event."
        ),
    }
}

/// The sign-up was dropped.
pub fn dropped(lang: Locale) -> String {
    pick(lang, "已取消，未报名。", "Cancelled; nobody was signed up.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_role_says_waitlist_and_a_free_one_counts_places() {
        let free = EventRoleView {
            id: 1,
            name: "帮手".into(),
            slots: 8,
            taken: 5,
        };
        let full = EventRoleView {
            taken: 8,
            ..free.clone()
        };
        assert_eq!(role_line(Locale::ZhCn, &free), "· 帮手：还有 3 个名额（共 8）");
        assert!(role_line(Locale::En, &full).contains("waitlist"));
        assert!(confirm(Locale::En, "Li", "Market", &full).contains("waitlist"));
        assert!(!confirm(Locale::En, "Li", "Market", &free).contains("waitlist"));
    }
}
