//! Texts of `/certificate` and the roll of honour.

use crate::Locale;
use crate::desk::CertificateView;

/// The certificate sent (or why there is none yet) and what the roll of honour is.
pub fn summary(lang: Locale, view: &CertificateView) -> String {
    let year = view.year;
    let head = match (&view.issued, lang) {
        (Some((number, n)), Locale::ZhCn) => format!(
            "{year} 年爱心商户证书已随本消息发送（PDF，编号 {number}，经社工确认送达 {n} 次）。证书上的网址和二维码可供任何人核验编号。"
        ),
        (Some((number, n)), Locale::En) => format!(
            "Your {year} caring merchant certificate comes with this message (PDF, no. {number}, {n} {} confirmed by social workers). Anyone can check the number at the address or QR code on it.",
            if *n == 1 { "delivery" } else { "deliveries" }
        ),
        (None, Locale::ZhCn) => {
            format!("{year} 年还没有经社工确认的送达，暂时没有证书。第一次送达确认后，再发送 /certificate 即可领取。")
        }
        (None, Locale::En) => format!(
            "No delivery has been confirmed in {year} yet, so there is no certificate yet. Send /certificate again once a social worker confirms your first delivery."
        ),
    };
    let roll = match (view.honour_roll, lang) {
        (true, Locale::ZhCn) => "公益榜：本店已上榜。",
        (true, Locale::En) => "Roll of honour: your shop is on it.",
        (false, Locale::ZhCn) => "公益榜：本店未上榜。",
        (false, Locale::En) => "Roll of honour: your shop is not on it.",
    };
    let meaning = match lang {
        Locale::ZhCn => {
            "上榜后，公示页面的公益榜会列出本店名称和徽章：按今年经确认的送达次数，★ 1–4 次，★★ 5–19 次，★★★ 20 次及以上。按名称排列，不作排名，也不显示次数；随时可以退出。"
        }
        Locale::En => {
            "On the roll, the public transparency page lists your shop's name with a badge by this year's confirmed deliveries: ★ 1–4, ★★ 5–19, ★★★ 20 or more. Listed by name, never ranked, no counts shown; you can leave at any time."
        }
    };
    format!("{head}\n\n{roll}\n{meaning}")
}

/// The button that puts the shop on the roll.
pub fn join_button(lang: Locale) -> String {
    match lang {
        Locale::ZhCn => "上公益榜".into(),
        Locale::En => "Join the roll of honour".into(),
    }
}

/// The button that takes it off.
pub fn leave_button(lang: Locale) -> String {
    match lang {
        Locale::ZhCn => "退出公益榜".into(),
        Locale::En => "Leave the roll of honour".into(),
    }
}

/// After the button: where the shop stands now.
pub fn switched(lang: Locale, on: bool) -> String {
    match (on, lang) {
        (true, Locale::ZhCn) => "本店已加入公益榜，公示页面几分钟内更新。发送 /certificate 可随时退出。".into(),
        (true, Locale::En) => {
            "Your shop is on the roll of honour; the public page updates within minutes. Send /certificate to leave at any time."
                .into()
        }
        (false, Locale::ZhCn) => "本店已退出公益榜，公示页面几分钟内更新。".into(),
        (false, Locale::En) => "Your shop has left the roll of honour; the public page updates within minutes.".into(),
    }
}
