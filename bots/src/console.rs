//! The console adapter: the same dialogue in a terminal. Buttons are shown as numbered
//! choices; typing a choice's number presses it, unless the bot just asked for a typed
//! answer (a quantity, say), when a number is that answer.

use std::io::Write;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::command::Command;
use crate::desk::{DeskError, MerchantDesk};
use crate::dialogue::{self, Button, Input, Reply, Session, State};
use crate::text;

/// The console could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The merchant does not exist or the desk is down.
    #[error("cannot open the console: {0}")]
    Desk(#[from] DeskError),
    /// Reading or writing the terminal failed.
    #[error("terminal input/output failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the dialogue for `merchant_id` until `input` ends. `session_key` makes the
/// idempotency keys of this run unique (claims made in two runs never collide).
pub async fn run<R, W>(
    desk: &dyn MerchantDesk,
    merchant_id: i64,
    session_key: &str,
    input: R,
    output: &mut W,
) -> Result<(), ConsoleError>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let merchant = desk.merchant(merchant_id).await?;
    let mut session = Session {
        chat_id: None,
        lang: merchant.lang,
        merchant: Some(merchant.clone()),
        state: State::Idle,
    };
    let mut buttons: Vec<Button> = Vec::new();
    let greeting = dialogue::respond(desk, session.clone(), Input::Command(Command::Start(None)), "").await?;
    show(output, &greeting.replies, &mut buttons)?;

    let mut lines = input.lines();
    let mut n = 0u64;
    while let Some(line) = lines.next_line().await? {
        n += 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let event = if line.starts_with('/') {
            match Command::parse(line, None) {
                Some(command) => Input::Command(command),
                None => Input::Text(line.to_owned()),
            }
        } else {
            match dialogue::whole_number(line) {
                Some(choice) if !session.state.expects_text() && !buttons.is_empty() => {
                    match usize::try_from(choice)
                        .ok()
                        .and_then(|c| c.checked_sub(1))
                        .and_then(|i| buttons.get(i))
                    {
                        Some(button) => Input::Button(button.data.clone()),
                        None => Input::Text(line.to_owned()),
                    }
                }
                _ => Input::Text(line.to_owned()),
            }
        };
        let key = format!("console:{session_key}:{n}");
        match dialogue::respond(desk, session.clone(), event, &key).await {
            Ok(turn) => {
                if let Some(number) = &turn.document {
                    // The console cannot hand over a file: the office's page has the PDF.
                    writeln!(output, "[PDF {number}]")?;
                }
                show(output, &turn.replies, &mut buttons)?;
                session.state = turn.state;
                session.lang = turn.lang;
                session.merchant = turn.merchant;
            }
            Err(e) => {
                writeln!(output, "{}", text::refusal(session.lang, &e))?;
            }
        }
        output.flush()?;
    }
    Ok(())
}

/// Prints replies, numbering every button of the turn; remembers them for the next line.
fn show<W: Write>(output: &mut W, replies: &[Reply], buttons: &mut Vec<Button>) -> std::io::Result<()> {
    buttons.clear();
    for reply in replies {
        writeln!(output, "{}", reply.text)?;
        for row in &reply.buttons {
            for button in row {
                buttons.push(button.clone());
                writeln!(output, "  [{}] {}", buttons.len(), button.label)?;
            }
        }
        writeln!(output)?;
    }
    output.flush()
}
