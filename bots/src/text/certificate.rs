//! Texts of `/certificate` and the roll of honour.

use crate::Locale;
use crate::desk::{CertificateView, IssuedCertificate};

/// The certificate sent (or why there is none yet) and what the roll of honour is.
pub fn summary(lang: Locale, view: &CertificateView) -> String {
    let year = view.year;
    let head = match (&view.issued, lang) {
        (Some(c), Locale::ZhCn) => format!(
            "{year} 年爱心商户证书已随本消息发送（PDF，编号 {}，{}）。证书上的网址和二维码可供任何人核验编号。",
            c.number,
            counted(c, lang)
        ),
        (Some(c), Locale::En) => format!(
            "Your {year} caring merchant certificate comes with this message (PDF, no. {}, {}). Anyone can check the number at the address or QR code on it.",
            c.number,
            counted(c, lang)
        ),
        (None, Locale::ZhCn) => format!(
            "{year} 年还没有经社工确认的送达，也没有店员经确认的志愿服务时长，暂时没有证书。第一次送达确认后，再发送 /certificate 即可领取。"
        ),
        (None, Locale::En) => format!(
            "No delivery and no volunteer hour of your staff has been confirmed in {year} yet, so there is no certificate yet. Send /certificate again once a social worker confirms your first delivery."
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

/// What the certificate counts: confirmed deliveries, and the staff's hours when there are any.
fn counted(c: &IssuedCertificate, lang: Locale) -> String {
    let n = c.deliveries;
    let hours = (c.staff_tenths > 0).then(|| {
        let (whole, tenth) = (c.staff_tenths / 10, c.staff_tenths % 10);
        if tenth == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{tenth}")
        }
    });
    match (lang, hours) {
        (Locale::ZhCn, None) => format!("经社工确认送达 {n} 次"),
        (Locale::ZhCn, Some(h)) if n == 0 => format!("店员志愿服务 {h} 小时"),
        (Locale::ZhCn, Some(h)) => format!("经社工确认送达 {n} 次，店员志愿服务 {h} 小时"),
        (Locale::En, None) => format!("{n} {} confirmed by social workers", deliveries(n)),
        (Locale::En, Some(h)) if n == 0 => format!("{h} volunteer hours of your staff"),
        (Locale::En, Some(h)) => format!(
            "{n} {} confirmed by social workers and {h} volunteer hours of your staff",
            deliveries(n)
        ),
    }
}

fn deliveries(n: i64) -> &'static str {
    if n == 1 { "delivery" } else { "deliveries" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(deliveries: i64, staff_tenths: i64) -> CertificateView {
        CertificateView {
            year: 2026,
            issued: Some(IssuedCertificate {
                number: "YT-2026-0ABCDEFG".into(),
                deliveries,
                staff_tenths,
            }),
            honour_roll: false,
        }
    }

    #[test]
    fn the_reply_counts_the_staffs_hours_only_when_there_are_some() {
        assert!(summary(Locale::ZhCn, &view(3, 0)).contains("经社工确认送达 3 次）"));
        assert!(summary(Locale::ZhCn, &view(3, 45)).contains("经社工确认送达 3 次，店员志愿服务 4.5 小时）"));
        assert!(summary(Locale::ZhCn, &view(0, 120)).contains("（PDF，编号 YT-2026-0ABCDEFG，店员志愿服务 12 小时）"));
        assert!(summary(Locale::En, &view(1, 0)).contains("1 delivery confirmed by social workers)"));
        assert!(
            summary(Locale::En, &view(2, 5))
                .contains("2 deliveries confirmed by social workers and 0.5 volunteer hours of your staff)")
        );
        assert!(
            summary(Locale::En, &view(0, 30)).contains("(PDF, no. YT-2026-0ABCDEFG, 3 volunteer hours of your staff)")
        );
    }
}
