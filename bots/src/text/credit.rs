//! The texts of `/credit` and of the band D claim refusal, in zh-CN and en. They explain
//! a band in plain words — what counts, the shop's own figures, what the band changes and
//! what would raise it — and never shame: a low band is "room to improve", with the way up.

use super::pick;
use crate::Locale;
use crate::desk::{CreditBand, CreditView};

/// The band's name, as the office's pages also write it.
pub fn band_label(lang: Locale, band: CreditBand) -> String {
    let (zh, en) = match band {
        CreditBand::A => ("A 级 · 优秀", "Band A · excellent"),
        CreditBand::B => ("B 级 · 良好", "Band B · good"),
        CreditBand::C => ("C 级 · 需留意", "Band C · some concerns"),
        CreditBand::D => ("D 级 · 待提升", "Band D · room to improve"),
    };
    pick(lang, zh, en)
}

/// What the band changes for the shop.
pub fn band_effect(lang: Locale, band: CreditBand) -> String {
    match band {
        CreditBand::A => pick(
            lang,
            "紧急需求会优先推送给您（第一批提醒）。",
            "Urgent needs are offered to you first (the first round of alerts).",
        ),
        CreditBand::B => pick(lang, "认领和提醒一切照常。", "Claims and alerts as usual."),
        CreditBand::C => pick(
            lang,
            "认领和提醒一切照常；分数低于 40 分时会进入 D 级。",
            "Claims and alerts as usual; below 40 points the band would be D.",
        ),
        CreditBand::D => pick(
            lang,
            "同一时间只能持有 1 项认领，并暂停推送新需求提醒（仍可随时发送 /needs 浏览和认领）。",
            "You may hold one claim at a time, and alerts of new needs pause (you can still browse and claim with /needs at any time).",
        ),
    }
}

/// `/credit`: the band, the score, what counts with the shop's own figures, what the band
/// changes, what would raise it, and the claims it may hold now.
pub fn summary(lang: Locale, view: &CreditView) -> String {
    let band = band_label(lang, view.band);
    let rating = view
        .rating_tenths
        .map(|t| format!("{}.{}", t / 10, t % 10))
        .unwrap_or_default();
    let mut lines = Vec::new();
    match lang {
        Locale::ZhCn => {
            lines.push(format!("您的信用：{band}（{} 分）", view.score));
            lines.push(String::new());
            lines.push("计入的记录：".to_owned());
            lines.push(format!("· 按时送达 {} 次，超期送达 {} 次", view.on_time, view.late));
            lines.push(format!(
                "· 认领逾期失效 {} 次（其中近 90 天内 {} 次）",
                view.lapsed, view.recent_lapses
            ));
            if view.ratings > 0 {
                lines.push(format!("· 社工评价 {} 次，平均 {rating} 星", view.ratings));
            } else {
                lines.push("· 尚无社工评价".to_owned());
            }
        }
        Locale::En => {
            lines.push(format!("Your credit: {band} ({} points)", view.score));
            lines.push(String::new());
            lines.push("What counts:".to_owned());
            lines.push(format!("· deliveries on time: {}, late: {}", view.on_time, view.late));
            lines.push(format!(
                "· claims that lapsed undelivered: {} ({} in the last 90 days)",
                view.lapsed, view.recent_lapses
            ));
            if view.ratings > 0 {
                lines.push(format!(
                    "· ratings from social workers: {}, {rating} stars on average",
                    view.ratings
                ));
            } else {
                lines.push("· no ratings from social workers yet".to_owned());
            }
        }
    }
    lines.push(String::new());
    lines.push(match lang {
        Locale::ZhCn => format!("这一等级意味着：{}", band_effect(lang, view.band)),
        Locale::En => format!("What this band means: {}", band_effect(lang, view.band)),
    });
    lines.push(how_to_raise(lang, view));
    lines.push(holding(lang, view));
    lines.join("\n")
}

/// How the score is made and what would raise the band.
fn how_to_raise(lang: Locale, view: &CreditView) -> String {
    let how = pick(
        lang,
        "分数看按时送达的比例、社工的平均评价和近 90 天的逾期失效（每次扣分较多，90 天后减轻）；新商户从 60 分起步，记录越多越以实际表现为准。",
        "The score weighs the share of deliveries made on time, the social workers' average rating and lapses in the last 90 days (each weighs most for 90 days, then less); a new shop starts at 60, and the more it has done, the more its own record counts.",
    );
    let next = match (view.band, view.next_band_at) {
        (CreditBand::A, _) | (_, None) => pick(
            lang,
            "继续按时送达即可保持 A 级。",
            "Keep delivering on time to stay in band A.",
        ),
        (band, Some(at)) => {
            let up = match band {
                CreditBand::B => CreditBand::A,
                CreditBand::C => CreditBand::B,
                _ => CreditBand::C,
            };
            match lang {
                Locale::ZhCn => format!(
                    "按时送达、认真完成每项认领并获得好评，分数就会上升；达到 {at} 分即升为{}。",
                    band_label(lang, up)
                ),
                Locale::En => format!(
                    "Deliver on time, finish every claim and earn good ratings, and the score rises; at {at} points you reach {}.",
                    band_label(lang, up)
                ),
            }
        }
    };
    format!("{how}\n{next}")
}

/// The claims the shop holds and may hold.
fn holding(lang: Locale, view: &CreditView) -> String {
    if view.claim_limit == 0 {
        return pick(
            lang,
            "您最近的认领连续逾期：请先完成一项进行中的认领，再认领新的需求。",
            "Your last claims lapsed in a row: finish an active claim before claiming new needs.",
        );
    }
    match lang {
        Locale::ZhCn => format!(
            "目前进行中的认领 {} 项，同一时间最多可持有 {} 项。",
            view.holding, view.claim_limit
        ),
        Locale::En => format!(
            "You hold {} active claims now and may hold up to {} at a time.",
            view.holding, view.claim_limit
        ),
    }
}

/// A band D shop tried to claim while holding its one claim: why, and what improves it.
pub fn one_at_a_time(lang: Locale) -> String {
    pick(
        lang,
        "您的信用等级目前为 D 级（待提升），同一时间只能持有 1 项认领。完成这一项（送达或服务）后即可认领下一项。按时送达、获得好评会提升等级；发送 /credit 查看详情。",
        "Your credit is in band D for now, so you may hold one claim at a time. Finish it (deliver or serve) and you can claim the next. Delivering on time and good ratings raise your band; send /credit for details.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(band: CreditBand) -> CreditView {
        CreditView {
            band,
            score: 62,
            next_band_at: match band {
                CreditBand::A => None,
                CreditBand::B => Some(85),
                CreditBand::C => Some(50),
                CreditBand::D => Some(40),
            },
            on_time: 5,
            late: 1,
            lapsed: 2,
            recent_lapses: 1,
            ratings: 4,
            rating_tenths: Some(45),
            holding: 1,
            claim_limit: 3,
        }
    }

    #[test]
    fn every_band_reads_differently_names_its_way_up_and_never_shames() {
        for lang in Locale::ALL {
            let mut seen = Vec::new();
            for band in CreditBand::ALL {
                let text = summary(lang, &view(band));
                assert!(text.contains(&band_label(lang, band)), "{text}");
                assert!(text.contains("62") && text.contains("4.5"), "{text}");
                if band != CreditBand::A {
                    assert!(
                        text.contains(&view(band).next_band_at.unwrap_or(0).to_string()),
                        "{text}"
                    );
                }
                for word in ["差", "失信", "黑名单", "bad", "poor", "untrust"] {
                    assert!(!text.to_lowercase().contains(word), "{text}");
                }
                assert!(!seen.contains(&text));
                seen.push(text);
            }
            let menu = crate::text::command_list(lang);
            assert!(menu.iter().any(|(name, _)| *name == "credit"), "{menu:?}");
            assert!(crate::text::help(lang).contains("/credit"));
            assert!(one_at_a_time(lang).contains("/credit"));
        }
    }

    #[test]
    fn a_shop_that_must_deliver_first_is_told_so_instead_of_a_limit() {
        let must = CreditView {
            claim_limit: 0,
            ..view(CreditBand::C)
        };
        let text = summary(Locale::En, &must);
        assert!(text.contains("finish an active claim"), "{text}");
        let unrated = CreditView {
            ratings: 0,
            rating_tenths: None,
            ..view(CreditBand::B)
        };
        assert!(summary(Locale::ZhCn, &unrated).contains("尚无社工评价"));
    }
}
