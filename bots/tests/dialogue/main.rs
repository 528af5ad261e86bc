//! The merchant dialogue driven directly over a fake desk: no transport, no database, no
//! throttling. The end-to-end bot tests in the main crate's `tests/app` test the wiring.

mod claims;
mod commands;
mod events;
mod fake_desk;
mod join;
mod offers_and_alerts;
mod refusals;
mod sponsorship;

use bots::{Action, Command, DeskError, Input, Locale, Reply, Session, State, Turn, respond};

use fake_desk::FakeDesk;

/// One chat with the bot: the session the adapter would keep between inputs.
pub struct Chat<'a> {
    desk: &'a FakeDesk,
    /// The session as it stands after the last input.
    pub session: Session,
    inputs: u32,
}

impl<'a> Chat<'a> {
    /// A Telegram chat linked to merchant `id`, reading `lang`.
    pub fn of(desk: &'a FakeDesk, id: i64, lang: Locale) -> Self {
        let mut merchant = desk.info(id);
        merchant.lang = lang;
        Self::with(desk, Some(merchant), lang)
    }

    /// A Telegram chat linked to no merchant yet.
    pub fn stranger(desk: &'a FakeDesk, lang: Locale) -> Self {
        Self::with(desk, None, lang)
    }

    fn with(desk: &'a FakeDesk, merchant: Option<bots::MerchantInfo>, lang: Locale) -> Self {
        Self {
            desk,
            session: Session {
                chat_id: Some(7001),
                merchant,
                lang,
                state: State::Idle,
            },
            inputs: 0,
        }
    }

    /// The key the next input is handled under (a new update each time).
    pub fn next_key(&self) -> String {
        format!("test:{}", self.inputs + 1)
    }

    /// Handles `input` as a new update, keeps the new session and returns the turn.
    pub async fn input(&mut self, input: Input) -> Result<Turn, DeskError> {
        let key = self.next_key();
        self.input_with_key(input, &key).await
    }

    /// Handles `input` under `key` (the same key again is the same update retried).
    pub async fn input_with_key(&mut self, input: Input, key: &str) -> Result<Turn, DeskError> {
        self.inputs += 1;
        let turn = respond(self.desk, self.session.clone(), input, key).await?;
        self.session.state = turn.state.clone();
        self.session.lang = turn.lang;
        self.session.merchant = turn.merchant.clone();
        Ok(turn)
    }

    /// Sends a line as a merchant types it: a command or text.
    pub async fn send(&mut self, line: &str) -> Vec<Reply> {
        let input = match Command::parse(line, Some("relay_bot")) {
            Some(command) => Input::Command(command),
            None => Input::Text(line.to_owned()),
        };
        self.input(input).await.expect("the fake desk is up").replies
    }

    /// Taps a button with this callback data.
    pub async fn tap_data(&mut self, data: &str) -> Vec<Reply> {
        self.input(Input::Button(data.to_owned()))
            .await
            .expect("the fake desk is up")
            .replies
    }

    /// Taps the button of `action`.
    pub async fn tap(&mut self, action: Action) -> Vec<Reply> {
        self.tap_data(&action.encode()).await
    }
}

/// The texts of `replies`.
pub fn texts(replies: &[Reply]) -> Vec<&str> {
    replies.iter().map(|r| r.text.as_str()).collect()
}

/// The one reply's text; fails when there is not exactly one.
pub fn only(replies: &[Reply]) -> &str {
    assert_eq!(replies.len(), 1, "one reply expected: {:?}", texts(replies));
    &replies[0].text
}

/// The actions of every button of `replies`, in order.
pub fn actions(replies: &[Reply]) -> Vec<Action> {
    replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .map(|b| Action::parse(&b.data).expect("every button's data parses back"))
        .collect()
}
