//! Rates such as `"100/s"`, `"6000/min"` or `"50/10s"`.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per window (also the burst size).
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// Parses `N/unit` (`100/s`, `6000/min`, `50/10s`); the grammar is the
    /// model's, shared with the `rate_limit` attribute.
    pub fn parse(s: &str) -> Result<Rate, String> {
        crate::model::RateModel::parse(s).map(Rate::from)
    }

    /// GCRA emission interval: the time one request "costs".
    pub fn interval(&self) -> Duration {
        self.per / self.count
    }
}

impl From<crate::model::RateModel> for Rate {
    fn from(r: crate::model::RateModel) -> Self {
        Rate {
            count: r.count,
            per: Duration::from_secs(r.per_secs as u64),
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}s", self.count, self.per.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!(
            Rate::parse("100/s").unwrap(),
            Rate {
                count: 100,
                per: Duration::from_secs(1)
            }
        );
        assert_eq!(
            Rate::parse("6000/min").unwrap().per,
            Duration::from_secs(60)
        );
        assert_eq!(Rate::parse("50/10s").unwrap().per, Duration::from_secs(10));
        assert_eq!(
            Rate::parse("10/h").unwrap().interval(),
            Duration::from_secs(360)
        );
        for bad in ["", "100", "x/s", "0/s", "10/fortnight", "10/0s"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }
}
