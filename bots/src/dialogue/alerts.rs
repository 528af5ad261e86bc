//! `/alerts`: how a merchant hears of needs. Each button changes one setting at once and
//! shows the settings again (nothing is half-saved if the merchant walks away); the daily
//! cap and the quiet hours are typed.

use super::{Button, Reply, State, Talk, whole_number};
use crate::callback::Action;
use crate::desk::{AlertChange, AlertSettingsView, DeskError, MAX_DAILY_CAP};
use crate::text;

/// Reads typed quiet hours: `22:00-08:00`, `22-8`, `22点-8点`, `22：30～7：00` (full-width
/// too), or a word for none (`none`, `off`, `无`, `不要`…). `Some(None)` means no quiet
/// hours; `None` means the line cannot be read. Times are minutes after local midnight.
pub fn parse_quiet_hours(line: &str) -> Option<Option<(u16, u16)>> {
    let folded: String = line
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '：' => ':',
            '–' | '—' | '~' | '～' | '至' | '到' | '－' => '-',
            other => other,
        })
        .filter(|c| !c.is_whitespace())
        .collect();
    let lower = folded.to_lowercase();
    if ["none", "off", "no", "无", "不要", "不需要", "关", "关闭", "没有"].contains(&lower.as_str()) {
        return Some(None);
    }
    let (start, end) = lower.split_once('-')?;
    let (start, end) = (time_of_day(start)?, time_of_day(end)?);
    (start != end).then_some(Some((start, end)))
}

/// `22`, `22:30`, `22点`, `22点30`, `22点30分`; 24 is midnight.
fn time_of_day(text: &str) -> Option<u16> {
    let text = text.trim_end_matches('分');
    let (hours, minutes) = match text.split_once([':', '点']) {
        Some((h, m)) => (h, if m.is_empty() { "0" } else { m }),
        None => (text, "0"),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || !digits(minutes) {
        return None;
    }
    let (h, m): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(0),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl Talk<'_> {
    /// The settings and their buttons, with `note` above them.
    pub(super) fn alerts_reply(&mut self, view: &AlertSettingsView, note: Option<String>) {
        let lang = self.lang;
        let body = text::alerts::summary(lang, view);
        let text = match note {
            Some(n) => format!("{n}\n\n{body}"),
            None => body,
        };
        self.replies.push(Reply {
            text,
            buttons: vec![
                vec![
                    Button::new(text::alerts::categories_button(lang), Action::AlertsCategories),
                    Button::new(text::alerts::communities_button(lang), Action::AlertsCommunities),
                ],
                vec![
                    Button::new(text::alerts::cap_button(lang), Action::AlertCap),
                    Button::new(text::alerts::quiet_button(lang), Action::AlertQuiet),
                ],
                vec![Button::new(
                    text::alerts::mode_button(lang, view.digest),
                    Action::AlertDigest(!view.digest),
                )],
                vec![Button::new(
                    text::alerts::urgent_button(lang, view.urgent_always),
                    Action::AlertUrgent(!view.urgent_always),
                )],
                vec![Button::new(
                    text::alerts::other_subdistricts_button(lang, view.other_subdistricts),
                    Action::AlertOtherSubdistricts(!view.other_subdistricts),
                )],
            ],
        });
    }

    /// `/alerts`.
    pub(super) async fn show_alerts(&mut self, merchant: i64) -> Result<(), DeskError> {
        let view = self.desk.alert_settings(merchant, self.lang).await?;
        self.alerts_reply(&view, None);
        Ok(())
    }

    async fn change_alerts(&mut self, merchant: i64, change: AlertChange) -> Result<AlertSettingsView, DeskError> {
        self.desk.change_alert_settings(merchant, &change, self.lang).await
    }

    async fn category_picker(&mut self, view: &AlertSettingsView) {
        let lang = self.lang;
        let mut rows: Vec<Vec<Button>> = self
            .desk
            .categories(lang)
            .into_iter()
            .map(|c| {
                let mark = if view.categories.iter().any(|x| x.code == c.code) {
                    "✓ "
                } else {
                    ""
                };
                vec![Button::new(format!("{mark}{}", c.label), Action::AlertCategory(c.code))]
            })
            .collect();
        rows.push(vec![
            Button::new(text::alerts::all_categories_button(lang), Action::AlertCategoriesAll),
            Button::new(text::alerts::done_button(lang), Action::AlertsShow),
        ]);
        self.replies.push(Reply {
            text: text::alerts::pick_categories(lang, &view.categories),
            buttons: rows,
        });
    }

    async fn community_picker_for_alerts(&mut self, view: &AlertSettingsView) -> Result<(), DeskError> {
        let lang = self.lang;
        let mut rows: Vec<Vec<Button>> = self
            .desk
            .communities(lang)
            .await?
            .into_iter()
            .filter_map(|c| {
                let id: i64 = c.code.parse().ok()?;
                let mark = if view.communities.iter().any(|x| x.code == c.code) {
                    "✓ "
                } else {
                    ""
                };
                Some(vec![Button::new(
                    format!("{mark}{}", c.label),
                    Action::AlertCommunity(id),
                )])
            })
            .collect();
        rows.push(vec![
            Button::new(text::alerts::all_communities_button(lang), Action::AlertCommunitiesAll),
            Button::new(text::alerts::done_button(lang), Action::AlertsShow),
        ]);
        self.replies.push(Reply {
            text: text::alerts::pick_communities(lang, &view.communities),
            buttons: rows,
        });
        Ok(())
    }

    /// A button of `/alerts`.
    pub(super) async fn alerts_action(&mut self, merchant: i64, action: Action) -> Result<(), DeskError> {
        let lang = self.lang;
        match action {
            Action::AlertsShow => self.show_alerts(merchant).await?,
            Action::AlertsCategories => {
                let view = self.desk.alert_settings(merchant, lang).await?;
                self.category_picker(&view).await;
            }
            Action::AlertCategory(code) => {
                if !self.desk.categories(lang).iter().any(|c| c.code == code) {
                    return Err(DeskError::NotFound);
                }
                let view = self.change_alerts(merchant, AlertChange::ToggleCategory(code)).await?;
                self.category_picker(&view).await;
            }
            Action::AlertsCommunities => {
                let view = self.desk.alert_settings(merchant, lang).await?;
                self.community_picker_for_alerts(&view).await?;
            }
            Action::AlertCommunity(id) => {
                let view = self.change_alerts(merchant, AlertChange::ToggleCommunity(id)).await?;
                self.community_picker_for_alerts(&view).await?;
            }
            Action::AlertCategoriesAll | Action::AlertCommunitiesAll => {
                let change = if action == Action::AlertCategoriesAll {
                    AlertChange::AllCategories
                } else {
                    AlertChange::AllCommunities
                };
                let view = self.change_alerts(merchant, change).await?;
                self.alerts_reply(&view, Some(text::alerts::saved(lang)));
            }
            Action::AlertCap => {
                self.say(text::alerts::ask_cap(lang, MAX_DAILY_CAP));
                self.state = State::AlertCap;
            }
            Action::AlertQuiet => {
                self.say(text::alerts::ask_quiet(lang));
                self.state = State::AlertQuiet;
            }
            Action::AlertDigest(on) => {
                let view = self.change_alerts(merchant, AlertChange::Digest(on)).await?;
                self.alerts_reply(&view, Some(text::alerts::saved(lang)));
            }
            Action::AlertUrgent(on) => {
                let view = self.change_alerts(merchant, AlertChange::UrgentAlways(on)).await?;
                self.alerts_reply(&view, Some(text::alerts::saved(lang)));
            }
            Action::AlertOtherSubdistricts(on) => {
                let view = self.change_alerts(merchant, AlertChange::OtherSubdistricts(on)).await?;
                self.alerts_reply(&view, Some(text::alerts::saved(lang)));
            }
            _ => self.say(text::button_expired(lang)),
        }
        Ok(())
    }

    /// A typed answer to the cap or quiet-hours question.
    pub(super) async fn alerts_typed(&mut self, merchant: i64, state: State, line: &str) -> Result<(), DeskError> {
        let lang = self.lang;
        let change = match state {
            State::AlertCap => match whole_number(line).and_then(|n| u32::try_from(n).ok()) {
                Some(cap) if (1..=MAX_DAILY_CAP).contains(&cap) => AlertChange::DailyCap(cap),
                _ => {
                    self.say(text::alerts::cap_invalid(lang, MAX_DAILY_CAP));
                    self.state = state;
                    return Ok(());
                }
            },
            State::AlertQuiet => match parse_quiet_hours(line) {
                Some(quiet) => AlertChange::QuietHours(quiet),
                None => {
                    self.say(text::alerts::quiet_invalid(lang));
                    self.state = state;
                    return Ok(());
                }
            },
            other => {
                self.state = other;
                self.say(text::not_understood(lang));
                return Ok(());
            }
        };
        let view = self.change_alerts(merchant, change).await?;
        self.alerts_reply(&view, Some(text::alerts::saved(lang)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_are_read_in_the_ways_people_type_them() {
        for (typed, expected) in [
            ("22:00-08:00", Some(Some((1320, 480)))),
            ("22-8", Some(Some((1320, 480)))),
            (" 22：30 ～ 7：15 ", Some(Some((1350, 435)))),
            ("２２点-８点", Some(Some((1320, 480)))),
            ("22点30分到7点", Some(Some((1350, 420)))),
            ("12-14", Some(Some((720, 840)))),
            ("23-24", Some(Some((1380, 0)))),
            ("none", Some(None)),
            ("无", Some(None)),
            ("Off", Some(None)),
            ("8-8", None),
            ("25-8", None),
            ("22:60-8", None),
            ("22", None),
            ("晚上十点到八点", None),
            ("-1-8", None),
            ("", None),
        ] {
            assert_eq!(parse_quiet_hours(typed), expected, "{typed:?}");
        }
    }
}
