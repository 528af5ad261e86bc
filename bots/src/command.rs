//! The bot's commands, parsed from a message's text. Parsed by hand rather than with
//! teloxide's `BotCommands` derive so that the console can use them too and so that the
//! descriptions exist in both languages (see [`crate::text::command_list`]).

/// A command a merchant typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/start [CODE]`: link this chat, or greet.
    Start(Option<String>),
    /// `/start need-ID`, sent by Telegram when a poster's QR code is scanned: show that
    /// need. `None` when the id is malformed (read as a need that is not open, never as a
    /// link code, so a scan never counts as a wrong code).
    StartNeed(Option<i64>),
    /// `/needs [filter…]`: open needs.
    Needs(String),
    /// `/mine`: my active claims.
    Mine,
    /// `/offers`: my standing offers.
    Offers,
    /// `/alerts`: how I hear of needs.
    Alerts,
    /// `/public`: whether my shop is listed on the public transparency page.
    Public,
    /// `/credit`: my credit band, what counts and what would raise it.
    Credit,
    /// `/hours`: volunteer-hours needs to pledge to.
    Hours,
    /// `/certificate`: this year's caring-merchant certificate (PDF) and the roll of honour.
    Certificate,
    /// `/events`: upcoming events to pledge support to or sign staff up for.
    Events,
    /// `/join`: a shop applies to join (or sees where its application stands).
    Join,
    /// `/lang [zh|en]`: language.
    Lang(Option<String>),
    /// `/help`.
    Help,
    /// `/cancel`: leave the current question.
    Cancel,
    /// Any other `/word`.
    Unknown,
}

/// Every command name, in the order of the menu.
pub const NAMES: [&str; 13] = [
    "needs",
    "mine",
    "offers",
    "alerts",
    "public",
    "credit",
    "hours",
    "certificate",
    "events",
    "lang",
    "help",
    "start",
    "join",
];

impl Command {
    /// Parses `text` if it is a command. `bot_username` lets `/needs@OurBot` through and
    /// makes `/needs@OtherBot` (meant for another bot in a group) not a command at all.
    pub fn parse(text: &str, bot_username: Option<&str>) -> Option<Command> {
        let text = text.trim();
        let rest = text.strip_prefix('/')?;
        let (head, args) = match rest.split_once(char::is_whitespace) {
            Some((h, a)) => (h, a.trim()),
            None => (rest, ""),
        };
        let name = match head.split_once('@') {
            Some((name, addressee)) => {
                let ours = bot_username.is_some_and(|u| u.eq_ignore_ascii_case(addressee));
                if !ours {
                    return None;
                }
                name
            }
            None => head,
        };
        let arg = || (!args.is_empty()).then(|| args.to_owned());
        Some(match name.to_ascii_lowercase().as_str() {
            "start" => match need_payload(args) {
                Some(need) => Command::StartNeed(need),
                None => Command::Start(arg()),
            },
            "needs" => Command::Needs(args.to_owned()),
            "mine" => Command::Mine,
            "offers" => Command::Offers,
            "alerts" => Command::Alerts,
            "public" => Command::Public,
            "credit" => Command::Credit,
            "hours" => Command::Hours,
            "certificate" => Command::Certificate,
            "events" => Command::Events,
            "join" => Command::Join,
            "lang" | "language" => Command::Lang(arg()),
            "help" => Command::Help,
            "cancel" => Command::Cancel,
            _ => Command::Unknown,
        })
    }
}

/// The prefix of a poster's deep-link payload (`https://t.me/<bot>?start=need-<id>`).
pub const NEED_PAYLOAD_PREFIX: &str = "need-";

/// The payload `/start` gets from a poster's QR code for need `id`.
pub fn need_payload_of(id: i64) -> String {
    format!("{NEED_PAYLOAD_PREFIX}{id}")
}

/// Reads a `/start` argument: `None` when it is not a need link (a link code, say);
/// `Some(None)` when it is one with an id that cannot be a need's (empty, not digits,
/// zero, or too long for an id).
pub fn need_payload(arg: &str) -> Option<Option<i64>> {
    let head = arg.get(..NEED_PAYLOAD_PREFIX.len())?;
    if !head.eq_ignore_ascii_case(NEED_PAYLOAD_PREFIX) {
        return None;
    }
    let digits = &arg[NEED_PAYLOAD_PREFIX.len()..];
    // 18 digits always fit an i64: longer is no id of ours.
    let valid = !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit());
    Some(
        valid
            .then(|| digits.parse::<i64>().ok())
            .flatten()
            .filter(|id| *id >= 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_arguments_and_our_bot_name() {
        assert_eq!(
            Command::parse("/start K7M4XQAC", None),
            Some(Command::Start(Some("K7M4XQAC".into())))
        );
        assert_eq!(Command::parse("/start", None), Some(Command::Start(None)));
        assert_eq!(
            Command::parse("/needs@relay_bot food", Some("Relay_Bot")),
            Some(Command::Needs("food".into()))
        );
        assert_eq!(Command::parse("/needs@other_bot", Some("relay_bot")), None);
        assert_eq!(Command::parse("/LANG en", None), Some(Command::Lang(Some("en".into()))));
        assert_eq!(Command::parse("/whatever", None), Some(Command::Unknown));
        assert_eq!(Command::parse("3", None), None);
        assert_eq!(Command::parse("  /mine  ", None), Some(Command::Mine));
        assert_eq!(Command::parse("/alerts", None), Some(Command::Alerts));
        assert_eq!(Command::parse("/join", None), Some(Command::Join));
        assert_eq!(
            Command::parse("/public@relay_bot", Some("relay_bot")),
            Some(Command::Public)
        );
        assert_eq!(Command::parse("/Credit", None), Some(Command::Credit));
        assert_eq!(Command::parse("/events", None), Some(Command::Events));
    }

    #[test]
    fn a_poster_link_is_a_need_and_a_malformed_one_an_unknown_need() {
        assert_eq!(
            Command::parse("/start need-42", None),
            Some(Command::StartNeed(Some(42)))
        );
        assert_eq!(Command::parse("/start NEED-7", None), Some(Command::StartNeed(Some(7))));
        for bad in [
            "need-",
            "need-abc",
            "need-99999999999999999999",
            "need-0",
            "need--1",
            "need-4 2",
        ] {
            assert_eq!(
                Command::parse(&format!("/start {bad}"), None),
                Some(Command::StartNeed(None)),
                "{bad}"
            );
        }
        // A link code stays a link code, even one a byte long or with a multi-byte start.
        assert_eq!(
            Command::parse("/start K7M", None),
            Some(Command::Start(Some("K7M".into())))
        );
        assert_eq!(
            Command::parse("/start 需要需要", None),
            Some(Command::Start(Some("需要需要".into())))
        );
        assert_eq!(need_payload(&need_payload_of(123)), Some(Some(123)));
    }
}
