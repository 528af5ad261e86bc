//! Prometheus metrics, rendered in the text exposition format at `/metrics`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The process's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Requests by route template, method and status.
    pub http_requests: IntCounterVec,
    /// Request latency by route template and method.
    pub http_latency: HistogramVec,
    /// Requests being answered now, and when the last one came: background work gives
    /// way while the web is busy.
    pub web: WebActivity,
    /// Password hashes computed or verified (argon2), each 19 MiB and a core for a while.
    pub password_hashes: IntCounter,
    /// Refused requests of callers nobody knows, by reason.
    pub anonymous_refusals: AnonymousRefusals,
    /// WeChat pushes accepted, by outcome: `stored`, or `redelivered` (acknowledged, no new row).
    pub wechat_pushes: IntCounterVec,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "relay_http_requests_total",
                "HTTP requests answered, by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "relay_http_request_duration_seconds",
                "HTTP request latency, by route and method",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let http_in_flight = IntGauge::new("relay_http_requests_in_flight", "HTTP requests being answered now")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let password_hashes = IntCounter::new(
            "relay_password_hashes_total",
            "Password hashes computed or verified (argon2)",
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let anonymous_refusals = IntCounterVec::new(
            Opts::new(
                "relay_anonymous_refusals_total",
                "Refused requests of callers nobody knows (not written to the audit log), by reason",
            ),
            &["reason"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let wechat_pushes = IntCounterVec::new(
            Opts::new(
                "relay_wechat_pushes_total",
                "WeChat pushes accepted, by outcome: stored, or redelivered (acknowledged without a second row)",
            ),
            &["outcome"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        for collector in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_latency.clone()),
            Box::new(http_in_flight.clone()),
            Box::new(password_hashes.clone()),
            Box::new(anonymous_refusals.clone()),
            Box::new(wechat_pushes.clone()),
        ] {
            registry
                .register(collector)
                .unwrap_or_else(|e| unreachable!("metric registered twice: {e}"));
        }
        Self {
            registry,
            http_requests,
            http_latency,
            web: WebActivity {
                in_flight: http_in_flight,
                epoch: Instant::now(),
                last_start_ms: Arc::default(),
            },
            password_hashes,
            anonymous_refusals: AnonymousRefusals {
                counts: anonymous_refusals,
                last_logged: Arc::default(),
            },
            wechat_pushes,
        }
    }

    /// Registers a collector added by another part of the app.
    pub fn register(&self, collector: Box<dyn prometheus::core::Collector>) -> Result<(), prometheus::Error> {
        self.registry.register(collector)
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = encoder.encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Refusals of anonymous callers (a foreign origin, an unknown account): a flood of them
/// must not write the audit log or the log file row by row, so each is counted under a
/// reason from the code (a bounded label) and logged at most once per reason per
/// [`REFUSAL_LOG_EVERY`]. Cheap to clone; clones share the counts.
#[derive(Clone)]
pub struct AnonymousRefusals {
    counts: IntCounterVec,
    last_logged: Arc<Mutex<HashMap<&'static str, Instant>>>,
}

/// The least time between two log lines about anonymous refusals of one reason.
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(60);

impl AnonymousRefusals {
    /// Counts one refusal for `reason`, and logs it when none of that reason was logged
    /// within [`REFUSAL_LOG_EVERY`].
    pub fn refuse(&self, reason: &'static str) {
        let counter = self.counts.with_label_values(&[reason]);
        counter.inc();
        if self.log_due(reason, Instant::now()) {
            tracing::warn!(
                target: "security",
                reason,
                total = counter.get(),
                "refused an anonymous request (logged at most once a minute per reason; relay_anonymous_refusals_total counts all)"
            );
        }
    }

    /// True when no line about `reason` was logged within [`REFUSAL_LOG_EVERY`] before
    /// `now`; then `now` is remembered as the last.
    fn log_due(&self, reason: &'static str, now: Instant) -> bool {
        let mut last = self.last_logged.lock().unwrap_or_else(|p| p.into_inner());
        match last.get(reason) {
            Some(at) if now.saturating_duration_since(*at) < REFUSAL_LOG_EVERY => false,
            _ => {
                last.insert(reason, now);
                true
            }
        }
    }

    /// Refusals counted for `reason` so far.
    pub fn count(&self, reason: &str) -> u64 {
        self.counts.with_label_values(&[reason]).get()
    }
}

/// How busy the web is: requests in flight (exported as `relay_http_requests_in_flight`)
/// and when the last one started. Cheap to clone; clones share the counts.
#[derive(Clone)]
pub struct WebActivity {
    in_flight: IntGauge,
    epoch: Instant,
    last_start_ms: Arc<AtomicU64>,
}

impl WebActivity {
    /// Counts a request as in flight until the guard is dropped (also when the request is
    /// abandoned mid-way).
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.inc();
        self.last_start_ms.fetch_max(self.now_ms(), Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// True while a request is being answered or one started within `window`: between the
    /// requests of steady traffic the web is not idle.
    pub fn busy_within(&self, window: Duration) -> bool {
        if self.in_flight.get() > 0 {
            return true;
        }
        let last = self.last_start_ms.load(Ordering::Relaxed);
        last > 0 && self.now_ms().saturating_sub(last) < u64::try_from(window.as_millis()).unwrap_or(u64::MAX)
    }

    /// Milliseconds since the epoch, from 1: 0 stands for "no request yet".
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }
}

/// A request counted in flight while it lives.
pub struct InFlight<'a>(&'a IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod activity_tests {
    use super::*;

    #[test]
    fn anonymous_refusals_are_all_counted_but_logged_once_a_minute_per_reason() {
        let refusals = Metrics::new().anonymous_refusals;
        for _ in 0..1000 {
            refusals.refuse("csrf.foreign_origin");
        }
        refusals.refuse("login.throttled");
        assert_eq!(refusals.count("csrf.foreign_origin"), 1000);
        assert_eq!(refusals.count("login.throttled"), 1);
        let start = Instant::now() + Duration::from_secs(1);
        assert!(!refusals.log_due("csrf.foreign_origin", start), "logged just now");
        assert!(refusals.log_due("csrf.foreign_origin", start + REFUSAL_LOG_EVERY));
        assert!(!refusals.log_due("csrf.foreign_origin", start + REFUSAL_LOG_EVERY));
        assert!(refusals.log_due("telegram.wrong_secret", start), "a reason of its own");
    }

    #[test]
    fn the_web_is_busy_during_a_request_and_for_a_while_after_it() {
        let web = Metrics::new().web;
        assert!(!web.busy_within(Duration::from_millis(300)), "nothing has come yet");
        let request = web.enter();
        assert!(web.busy_within(Duration::ZERO));
        drop(request);
        assert!(web.busy_within(Duration::from_secs(60)), "one just ended");
        std::thread::sleep(Duration::from_millis(30));
        assert!(!web.busy_within(Duration::from_millis(10)), "quiet since");
    }
}
