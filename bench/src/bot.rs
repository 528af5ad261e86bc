//! Bot throughput: the tests' fake Bot API serves updates from the merchants' linked chats
//! (`/needs`, `/mine` and `/help`, in turn) to the service polling it, and the database
//! says how fast they are handled (stored, answered, reply queued, in one transaction).

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

#[allow(
    dead_code,
    reason = "the bench drives only the fake's update queue, not its assertions"
)]
#[path = "../../tests/support/fake_telegram.rs"]
mod fake_telegram;

/// Starts the fake on `port`, queues `updates` updates from the chats of `merchants`, and
/// waits until the service has handled them all; returns updates handled a second.
pub async fn run(
    db: &DatabaseConnection,
    port: u16,
    merchants: usize,
    updates: usize,
    timeout: Duration,
) -> anyhow::Result<f64> {
    let tg = fake_telegram::FakeTelegram::start_on(port).await;
    for i in 0..updates {
        let chat = 900_000_000 + (i % merchants) as i64;
        let text = ["/needs", "/mine", "/help"][i % 3];
        tg.push(fake_telegram::message(tg.next_update_id(), chat, text, "zh-CN"));
    }
    let deadline = Instant::now() + timeout;
    let mut first: Option<(Instant, i64)> = None;
    loop {
        let handled = handled(db).await?;
        if first.is_none() && handled > 0 {
            first = Some((Instant::now(), handled));
        }
        if handled >= updates as i64 {
            let (at, before) = first.unwrap_or((Instant::now(), 0));
            return Ok((handled - before) as f64 / at.elapsed().as_secs_f64().max(1e-3));
        }
        if Instant::now() > deadline {
            anyhow::bail!("only {handled} of {updates} updates handled within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn handled(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM telegram_updates WHERE status = 'handled'".to_owned(),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    Ok(row.try_get_by_index(0)?)
}
