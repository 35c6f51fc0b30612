//! Runtime feature flags. `api_optimization_enabled` switches the
//! read-through cache and request coalescing on and off without a restart,
//! so an operator can roll the optimisation out gradually and compare.

use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug)]
pub struct Flags {
    optimization: AtomicBool,
}

impl Flags {
    pub fn new(optimization: bool) -> Self {
        Flags {
            optimization: AtomicBool::new(optimization),
        }
    }

    /// `api_optimization_enabled`: cache + coalescing.
    pub fn optimization(&self) -> bool {
        self.optimization.load(Ordering::Relaxed)
    }

    pub fn set_optimization(&self, on: bool) {
        let was = self.optimization.swap(on, Ordering::SeqCst);
        if was != on {
            tracing::info!(api_optimization_enabled = on, "feature flag changed");
        }
    }
}
