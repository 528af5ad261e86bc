//! Latency percentiles.

use std::time::Duration;

/// Latencies in microseconds, 1 µs to 60 s, three significant figures.
pub struct Histogram(hdrhistogram::Histogram<u64>);

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self(hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 3).expect("static bounds are valid"))
    }

    /// Counts one latency.
    pub fn record(&mut self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).clamp(1, 60_000_000);
        // Within bounds by the clamp above.
        let _ = self.0.record(micros);
    }

    /// Samples counted.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// The `q` quantile (0–1) in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.0.value_at_quantile(q) as f64 / 1000.0
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Histogram) {
        // Same bounds, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}
