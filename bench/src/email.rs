//! Email throughput: queues messages in the outbox for the service to dispatch, and counts
//! them arriving at the tests' real SMTP server (mailin) on loopback.

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{DatabaseConnection, Set};

use charity_relay::domain::{Channel, Locale, OutboxStatus};
use charity_relay::entities::outbox;

#[allow(
    dead_code,
    reason = "the bench counts messages; the sink's test-only readers stay unused"
)]
#[path = "../../tests/support/smtp.rs"]
mod smtp;

/// Queues `count` claim notices to distinct social workers' addresses (no resident's
/// hourly limit applies to them), due now.
pub async fn queue(db: &DatabaseConnection, count: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let rows: Vec<outbox::ActiveModel> = (0..count)
        .map(|i| outbox::ActiveModel {
            channel: Set(Channel::Email),
            recipient: Set(format!("worker-{i}@bench.invalid")),
            contact_id: Set(None),
            merchant_id: Set(None),
            kind: Set("worker-need-claimed".into()),
            locale: Set(if i % 2 == 0 { Locale::ZhCn } else { Locale::En }.into()),
            payload: Set(serde_json::json!({
                "claim_id": i, "need_id": i, "title": "大米 10 斤", "merchant_name": "Bench merchant",
                "quantity": 1, "unit": "袋", "expected_date": "2026-12-06",
            })
            .to_string()),
            dedupe_key: Set(format!("bench:email:{i}")),
            message_id: Set(format!("<bench.{i}.{}@charity-relay>", now.timestamp())),
            status: Set(OutboxStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            hold_reason: Set(None),
            digest_id: Set(None),
            counted_at: Set(None),
            ..Default::default()
        })
        .collect();
    crate::seed::insert_batches(db, rows).await
}

/// Serves SMTP on `port` until `expect` messages arrived (or `timeout`); returns messages
/// a second from the first arrival to the last.
pub fn sink(port: u16, expect: usize, timeout: Duration) -> anyhow::Result<f64> {
    let sink = smtp::SmtpSink::start_on(port);
    let deadline = Instant::now() + timeout;
    let mut first: Option<(Instant, usize)> = None;
    loop {
        let got = sink.count();
        if first.is_none() && got > 0 {
            first = Some((Instant::now(), got));
        }
        if got >= expect {
            let (at, before) = first.unwrap_or((Instant::now(), 0));
            let took = at.elapsed().as_secs_f64().max(1e-3);
            return Ok((got - before) as f64 / took);
        }
        if Instant::now() > deadline {
            anyhow::bail!("only {got} of {expect} messages arrived within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
