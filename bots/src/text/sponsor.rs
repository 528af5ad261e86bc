//! The texts of one-on-one sponsorship (一对一), in zh-CN and en: the offer after a claim,
//! the renewal question of each new period, stopping, and `/mine`'s list. They name the need
//! and the period, never the person helped.

use super::pick;
use crate::Locale;
use crate::desk::SponsorshipCard;

fn every(lang: Locale, monthly: bool) -> &'static str {
    match (lang, monthly) {
        (Locale::ZhCn, true) => "每月",
        (Locale::ZhCn, false) => "每周",
        (Locale::En, true) => "every month",
        (Locale::En, false) => "every week",
    }
}

/// The button under a claim's confirmation when its need recurs.
pub fn offer_button(lang: Locale) -> String {
    pick(lang, "一对一：每期都由我资助", "Sponsor every period (one-on-one)")
}

/// Asked before sponsoring: what it means, and that the person helped is told.
pub fn ask(lang: Locale) -> String {
    pick(
        lang,
        "一对一资助：这项周期需求以后每一期开始前，都会先留给您，由您确认续期后才认领；您没有答复或选择停止时，这一期会发布给其他商户。受助人会收到一封邮件，告诉他们由您资助。您可以随时停止。确定每期资助吗？",
        "One-on-one sponsorship: before each new period of this recurring need begins, it is offered to you first and claimed only when you renew; if you do not answer, or stop, that period goes to other merchants. The person helped gets an email saying you sponsor them. You can stop at any time. Sponsor every period?",
    )
}

/// "Yes" to the question.
pub fn yes_button(lang: Locale) -> String {
    pick(lang, "确定，每期资助", "Yes, sponsor every period")
}

/// "Not now" to the question.
pub fn no_button(lang: Locale) -> String {
    pick(lang, "暂不", "Not now")
}

/// The answer to "not now".
pub fn not_now(lang: Locale) -> String {
    pick(
        lang,
        "好的，只认领这一期。以后想每期资助，可在认领下一期后再选择。",
        "All right: just this period. You can choose to sponsor when you claim a later period.",
    )
}

/// The sponsorship began.
pub fn started(lang: Locale, card: &SponsorshipCard) -> String {
    match lang {
        Locale::ZhCn => format!(
            "感谢您的一对一资助！「{}」{} {} {}由您资助。每一期开始前，我会先问您是否续期。发送 /mine 查看您的资助。",
            card.title,
            every(lang, card.monthly),
            card.quantity,
            card.unit
        ),
        Locale::En => format!(
            "Thank you for sponsoring one-on-one! You give {} {} of “{}” {}. Before each period begins I will ask whether you renew. Send /mine to see your sponsorships.",
            card.quantity,
            card.unit,
            card.title,
            every(lang, card.monthly)
        ),
    }
}

/// The renewal question of a new period.
pub fn renewal(lang: Locale, title: &str, quantity: i64, unit: &str, period: &str, until: &str) -> String {
    match lang {
        Locale::ZhCn => format!(
            "您一对一资助的「{title}」，{period}的一期快开始了：续期资助 {quantity} {unit}吗？请在 {until} 前答复；过时未答复，这一期会发布给其他商户。"
        ),
        Locale::En => format!(
            "“{title}”, which you sponsor one-on-one: the period for {period} begins soon. Renew with {quantity} {unit}? Please answer by {until}; after that, this period goes to other merchants."
        ),
    }
}

/// The renew button of a period.
pub fn renew_button(lang: Locale, period: &str) -> String {
    match lang {
        Locale::ZhCn => format!("续期：{period}"),
        Locale::En => format!("Renew for {period}"),
    }
}

/// The stop button of a sponsorship.
pub fn stop_button(lang: Locale) -> String {
    pick(lang, "停止资助", "Stop sponsoring")
}

/// Said above the claim's confirmation after a renewal.
pub fn renewed(lang: Locale) -> String {
    pick(lang, "已续期，谢谢您！", "Renewed, thank you!")
}

/// Asked before stopping.
pub fn stop_ask(lang: Locale, card: &SponsorshipCard) -> String {
    match lang {
        Locale::ZhCn => format!(
            "停止资助「{}」吗？以后的各期（包括正在等您答复的一期）会发布给其他商户，已认领的各期不受影响。",
            card.title
        ),
        Locale::En => format!(
            "Stop sponsoring “{}”? Later periods (including one waiting for your answer) go to other merchants; periods you claimed stay yours.",
            card.title
        ),
    }
}

/// "Yes, stop".
pub fn stop_yes_button(lang: Locale) -> String {
    pick(lang, "确定停止", "Yes, stop")
}

/// "Keep sponsoring".
pub fn keep_button(lang: Locale) -> String {
    pick(lang, "继续资助", "Keep sponsoring")
}

/// The sponsorship stopped at the merchant's word.
pub fn stopped(lang: Locale, card: &SponsorshipCard) -> String {
    match lang {
        Locale::ZhCn => format!("已停止资助「{}」。感谢您资助的 {} 期！", card.title, card.periods),
        Locale::En => format!(
            "You no longer sponsor “{}”. Thank you for the {} period(s) you gave!",
            card.title, card.periods
        ),
    }
}

/// The answer to "keep sponsoring".
pub fn kept(lang: Locale) -> String {
    pick(lang, "好的，资助继续。", "Good: the sponsorship goes on.")
}

/// The heading of `/mine`'s sponsorships.
pub fn mine_header(lang: Locale) -> String {
    pick(lang, "您的一对一资助：", "Your one-on-one sponsorships:")
}

/// One sponsorship in `/mine`.
pub fn line(lang: Locale, number: usize, card: &SponsorshipCard) -> String {
    let mut text = match lang {
        Locale::ZhCn => format!(
            "{number}. 「{}」{} {} {}，已资助 {} 期",
            card.title,
            every(lang, card.monthly),
            card.quantity,
            card.unit,
            card.periods
        ),
        Locale::En => format!(
            "{number}. “{}”: {} {} {}, {} period(s) given",
            card.title,
            card.quantity,
            card.unit,
            every(lang, card.monthly),
            card.periods
        ),
    };
    if let Some(offer) = &card.offer {
        text.push('\n');
        text.push_str(&match lang {
            Locale::ZhCn => format!("待您答复：{}的一期，请在 {} 前续期", offer.period, offer.until),
            Locale::En => format!(
                "Waiting for you: the period for {}; renew by {}",
                offer.period, offer.until
            ),
        });
    }
    text
}

/// The sponsor is told its sponsorship ended, and why (a reason code of the service).
pub fn ended(lang: Locale, title: &str, reason: &str) -> String {
    let why = match (reason, lang) {
        ("worker_ended", Locale::ZhCn) => "社工结束了这项资助",
        ("worker_ended", Locale::En) => "the social worker ended it",
        ("series_ended", Locale::ZhCn) => "这项周期需求已停止",
        ("series_ended", Locale::En) => "the recurring need was stopped",
        ("case_closed", Locale::ZhCn) => "受助人已不再需要这项帮扶",
        ("case_closed", Locale::En) => "the person no longer needs this help",
        ("completed", Locale::ZhCn) => "所有周期都已完成",
        ("completed", Locale::En) => "every period is done",
        (_, Locale::ZhCn) => "资助已结束",
        (_, Locale::En) => "it has ended",
    };
    match lang {
        Locale::ZhCn => format!("您对「{title}」的一对一资助已结束：{why}。以后不会再请您续期。衷心感谢您的爱心！"),
        Locale::En => format!(
            "Your one-on-one sponsorship of “{title}” has ended: {why}. You will not be asked to renew again. Thank you for your kindness!"
        ),
    }
}

/// The refusal of a need that cannot be sponsored.
pub fn not_sponsorable(lang: Locale) -> String {
    pick(
        lang,
        "这项需求不能每期资助：它不是周期需求、已没有后续期数，或已有其他商户一对一资助。",
        "This need cannot be sponsored every period: it does not recur, has no periods to come, or another merchant already sponsors it.",
    )
}

/// The refusal of a renewal after its window closed.
pub fn offer_closed(lang: Locale) -> String {
    pick(
        lang,
        "续期时间已过，这一期已发布给其他商户。发送 /needs：如果还有剩余，您仍可以像其他需求一样认领。",
        "The time to renew has passed, so this period went to other merchants. Send /needs: if some is still left, you can claim it like any need.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> SponsorshipCard {
        SponsorshipCard {
            id: 3,
            title: "米面油".into(),
            quantity: 2,
            unit: "份".into(),
            monthly: true,
            periods: 2,
            active: true,
            offer: Some(crate::desk::RenewalView {
                need_id: 9,
                period: "2027年1月".into(),
                until: "2027-01-29 08:00".into(),
            }),
        }
    }

    #[test]
    fn a_line_names_the_need_the_rhythm_and_the_period_waiting() {
        let zh = line(Locale::ZhCn, 1, &card());
        assert!(
            zh.contains("每月 2 份") && zh.contains("已资助 2 期") && zh.contains("2027年1月"),
            "{zh}"
        );
        let en = line(Locale::En, 1, &card());
        assert!(
            en.contains("every month") && en.contains("renew by 2027-01-29 08:00"),
            "{en}"
        );
    }

    #[test]
    fn a_weekly_period_reads_as_english_in_the_renewal_question() {
        let en = renewal(
            Locale::En,
            "Bread",
            2,
            "loaves",
            "the week of January 4",
            "2027-01-01 08:00",
        );
        assert!(en.contains("the period for the week of January 4 begins soon"), "{en}");
        assert!(!en.contains("The the"), "{en}");
    }

    #[test]
    fn every_end_reason_is_said_in_words_not_as_its_code() {
        for reason in ["worker_ended", "series_ended", "case_closed", "completed", "other"] {
            for lang in [Locale::ZhCn, Locale::En] {
                let text = ended(lang, "米面油", reason);
                assert!(!text.contains('_') && !text.contains(reason), "{text}");
            }
        }
    }
}
