//! The traffic-spike signal: the request rate over the last minute against
//! the rate over the last 15 minutes.
//!
//! Exported as `http_request_rate_short`, `http_request_rate_baseline`,
//! `http_traffic_spike_ratio` and `http_traffic_spikes_total` (counted once
//! per upward crossing of the threshold), so alerts and autoscaling
//! dashboards can use one documented definition.

use super::names;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

pub const SHORT_SECS: usize = 60;
pub const BASELINE_SECS: usize = 900;
/// Below this baseline (req/s) the ratio is 0: a quiet service going from
/// 0.1 to 1 request per second is not a spike.
pub const BASELINE_FLOOR: f64 = 1.0;

/// Samples of the request counter, one per second.
#[derive(Debug)]
pub struct SpikeWindow {
    samples: VecDeque<u64>,
    threshold: f64,
    above: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeReading {
    pub short: f64,
    pub baseline: f64,
    pub ratio: f64,
    /// The ratio crossed the threshold with this sample.
    pub new_spike: bool,
}

impl SpikeWindow {
    pub fn new(threshold: f64) -> Self {
        SpikeWindow {
            samples: VecDeque::with_capacity(BASELINE_SECS + 1),
            threshold,
            above: false,
        }
    }

    /// Adds the counter's value one second after the previous sample.
    pub fn sample(&mut self, total: u64) -> SpikeReading {
        self.samples.push_back(total);
        if self.samples.len() > BASELINE_SECS + 1 {
            self.samples.pop_front();
        }
        let n = self.samples.len();
        let rate = |secs: usize| -> f64 {
            let span = secs.min(n - 1);
            if span == 0 {
                return 0.0;
            }
            (total - self.samples[n - 1 - span]) as f64 / span as f64
        };
        let short = rate(SHORT_SECS);
        let baseline = rate(BASELINE_SECS);
        let ratio = if baseline >= BASELINE_FLOOR {
            short / baseline
        } else {
            0.0
        };
        let now_above = ratio >= self.threshold;
        let new_spike = now_above && !self.above;
        self.above = now_above;
        SpikeReading {
            short,
            baseline,
            ratio,
            new_spike,
        }
    }
}

/// Counts requests and publishes the readings every second.
pub fn start(counter: Arc<super::striped::Counter>, threshold: f64) {
    tokio::spawn(async move {
        let mut window = SpikeWindow::new(threshold);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let r = window.sample(counter.sum());
            metrics::gauge!(names::RATE_SHORT).set(r.short);
            metrics::gauge!(names::RATE_BASELINE).set(r.baseline);
            metrics::gauge!(names::SPIKE_RATIO).set(r.ratio);
            if r.new_spike {
                metrics::counter!(names::SPIKES).increment(1);
                tracing::warn!(
                    short = r.short,
                    baseline = r.baseline,
                    ratio = r.ratio,
                    "traffic spike"
                );
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_traffic_is_not_a_spike_and_a_burst_is_counted_once() {
        let mut w = SpikeWindow::new(3.0);
        let mut total = 0;
        let mut last = None;
        for _ in 0..900 {
            total += 10;
            last = Some(w.sample(total));
        }
        let r = last.unwrap();
        assert!((r.short - 10.0).abs() < 1e-9 && (r.baseline - 10.0).abs() < 1e-9);
        assert!((r.ratio - 1.0).abs() < 1e-9 && !r.new_spike);
        let mut spikes = 0;
        for _ in 0..60 {
            total += 100;
            if w.sample(total).new_spike {
                spikes += 1;
            }
        }
        assert_eq!(spikes, 1, "one crossing, one spike");
        assert!(w.sample(total + 100).ratio > 3.0);
    }

    #[test]
    fn quiet_services_never_spike() {
        let mut w = SpikeWindow::new(3.0);
        let mut total = 0;
        for i in 0..300 {
            total += if i > 240 { 1 } else { 0 };
            assert_eq!(w.sample(total).ratio, 0.0);
        }
    }
}
