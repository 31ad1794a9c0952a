//! Rate quotas as organizers write them: "10/s", "60/min", "1000/h" or "unlimited".

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RateQuota {
    Unlimited,
    /// At most `count` sends per `per`, evenly spaced: one every `per / count`.
    Limited {
        count: NonZeroU32,
        per: Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a rate (expected e.g. \"10/s\", \"60/min\", \"1000/h\" or \"unlimited\")")]
pub struct QuotaError(pub String);

impl RateQuota {
    /// The spacing between two sends.
    pub fn interval(&self) -> Option<Duration> {
        match self {
            RateQuota::Unlimited => None,
            RateQuota::Limited { count, per } => Some(*per / count.get()),
        }
    }

    pub fn per_second(&self) -> Option<f64> {
        self.interval().map(|i| 1.0 / i.as_secs_f64())
    }
}

impl FromStr for RateQuota {
    type Err = QuotaError;

    fn from_str(raw: &str) -> Result<Self, QuotaError> {
        let fail = || QuotaError(raw.to_string());
        let trimmed = raw.trim();
        if trimmed.eq_ignore_ascii_case("unlimited") {
            return Ok(RateQuota::Unlimited);
        }
        let (count, unit) = trimmed.split_once('/').ok_or_else(fail)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| fail())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            _ => return Err(fail()),
        };
        Ok(RateQuota::Limited { count, per })
    }
}

impl fmt::Display for RateQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateQuota::Unlimited => f.write_str("unlimited"),
            RateQuota::Limited { count, per } => {
                let unit = match per.as_secs() {
                    1 => "s",
                    60 => "min",
                    3600 => "h",
                    _ => "d",
                };
                write!(f, "{count}/{unit}")
            }
        }
    }
}

impl TryFrom<String> for RateQuota {
    type Error = QuotaError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<RateQuota> for String {
    fn from(value: RateQuota) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_spaces() {
        let q: RateQuota = "10/s".parse().unwrap();
        assert_eq!(q.interval(), Some(Duration::from_millis(100)));
        let q: RateQuota = "60/min".parse().unwrap();
        assert_eq!(q.interval(), Some(Duration::from_secs(1)));
        assert_eq!(q.to_string(), "60/min");
        assert_eq!(
            "unlimited".parse::<RateQuota>().unwrap(),
            RateQuota::Unlimited
        );
        for bad in ["0/s", "ten/s", "5/fortnight", "5"] {
            assert!(bad.parse::<RateQuota>().is_err(), "{bad}");
        }
    }
}
