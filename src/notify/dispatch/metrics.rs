//! The dispatcher's Prometheus metrics: messages by channel and outcome, and the depth of
//! the outbox by status.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::Dispatcher;
use crate::domain::{Channel, OutboxStatus};
use crate::entities::outbox;
use crate::metrics::Metrics;

/// Prometheus metrics of the dispatcher.
#[derive(Clone)]
pub(super) struct NotifyMetrics {
    messages: prometheus::IntCounterVec,
    depth: prometheus::IntGaugeVec,
}

impl NotifyMetrics {
    /// Registers the metrics; `None` when they are registered already (a second
    /// dispatcher on the same registry, as in tests), which then goes unmeasured.
    pub(super) fn register(metrics: &Metrics) -> Option<Self> {
        let messages = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "relay_outbox_messages_total",
                "Outbox messages handled, by channel and outcome",
            ),
            &["channel", "outcome"],
        )
        .ok()?;
        let depth = prometheus::IntGaugeVec::new(
            prometheus::Opts::new("relay_outbox_depth", "Outbox rows waiting, by status"),
            &["status"],
        )
        .ok()?;
        metrics.register(Box::new(messages.clone())).ok()?;
        metrics.register(Box::new(depth.clone())).ok()?;
        Some(Self { messages, depth })
    }
}

impl Dispatcher {
    pub(super) async fn update_depth(&self) {
        let Some(m) = &self.metrics else { return };
        for status in [OutboxStatus::Pending, OutboxStatus::Failed, OutboxStatus::Held] {
            match outbox::Entity::find()
                .filter(outbox::Column::Status.eq(status))
                .count(&self.db)
                .await
            {
                Ok(n) => m
                    .depth
                    .with_label_values(&[status.as_str()])
                    .set(i64::try_from(n).unwrap_or(i64::MAX)),
                Err(e) => tracing::debug!(error = %e, "cannot count the outbox"),
            }
        }
    }

    pub(super) fn count(&self, channel: Channel, outcome: &str, n: u64) {
        if let Some(m) = &self.metrics
            && n > 0
        {
            m.messages.with_label_values(&[channel.as_str(), outcome]).inc_by(n);
        }
    }
}
