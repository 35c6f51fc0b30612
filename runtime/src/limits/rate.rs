//! Rates such as `"100/s"`, `"6000/min"` or `"50/10s"`.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per window (also the burst size).
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// Parses `N/unit` with unit `s`, `sec`, `m`, `min`, `h`, `hour`, `d`,
    /// `day`, optionally prefixed by a multiplier (`50/10s`).
    pub fn parse(s: &str) -> Result<Rate, String> {
        let err = || format!("invalid rate {s:?}; write e.g. \"100/s\", \"6000/min\" or \"50/10s\"");
        let (n, unit) = s.trim().split_once('/').ok_or_else(err)?;
        let count: u32 = n.trim().parse().map_err(|_| err())?;
        let unit = unit.trim();
        let digits = unit.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        let mult: u64 = if digits == 0 { 1 } else { unit[..digits].parse().map_err(|_| err())? };
        let secs: u64 = match &unit[digits..] {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86400,
            _ => return Err(err()),
        };
        if count == 0 || mult == 0 {
            return Err(format!("{s:?}: a rate must allow at least one request per window"));
        }
        Ok(Rate { count, per: Duration::from_secs(secs * mult) })
    }

    /// GCRA emission interval: the time one request "costs".
    pub fn interval(&self) -> Duration {
        self.per / self.count
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
        assert_eq!(Rate::parse("100/s").unwrap(), Rate { count: 100, per: Duration::from_secs(1) });
        assert_eq!(Rate::parse("6000/min").unwrap().per, Duration::from_secs(60));
        assert_eq!(Rate::parse("50/10s").unwrap().per, Duration::from_secs(10));
        assert_eq!(Rate::parse("10/h").unwrap().interval(), Duration::from_secs(360));
        for bad in ["", "100", "x/s", "0/s", "10/fortnight", "10/0s"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }
}
