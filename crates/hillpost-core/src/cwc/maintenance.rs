//! CWC's maintenance windows: times (in the gateway's time zone, US Eastern) when no
//! message is delivered. A delivery that falls in one is delayed until the window ends,
//! never failed.
//!
//! Written in configuration as `"<house|senate|all> <daily|days> HH:MM-HH:MM"`, days as
//! comma-separated three-letter names: `"house daily 00:00-06:00"`,
//! `"senate sun 00:00-06:00"`, `"senate wed 05:00-07:00"`. A window whose end is before its
//! start runs past midnight into the next day.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use thiserror::Error;

use crate::campaign::Chamber;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MaintenanceError {
    #[error(
        "`{0}` is not a maintenance window (expected e.g. \"house daily 00:00-06:00\" or \
         \"senate sun,wed 05:00-07:00\")"
    )]
    Window(String),
    #[error("`{0}` is not a time zone (expected e.g. America/New_York)")]
    TimeZone(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// `None`: both gateways.
    chamber: Option<Chamber>,
    /// Empty: every day. The day the window starts on.
    days: Vec<Weekday>,
    start: NaiveTime,
    end: NaiveTime,
    text: String,
}

impl FromStr for MaintenanceWindow {
    type Err = MaintenanceError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let fail = || MaintenanceError::Window(raw.trim().to_string());
        let parts: Vec<&str> = raw.split_whitespace().collect();
        let [chamber, days, times] = parts.as_slice() else {
            return Err(fail());
        };
        let chamber = match chamber.to_ascii_lowercase().as_str() {
            "house" => Some(Chamber::House),
            "senate" => Some(Chamber::Senate),
            "all" => None,
            _ => return Err(fail()),
        };
        let days = if days.eq_ignore_ascii_case("daily") {
            Vec::new()
        } else {
            days.split(',')
                .map(|d| d.parse::<Weekday>().map_err(|_| fail()))
                .collect::<Result<_, _>>()?
        };
        let (start, end) = times.split_once('-').ok_or_else(fail)?;
        let time = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| fail());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(fail());
        }
        Ok(Self {
            chamber,
            days,
            start,
            end,
            text: parts.join(" "),
        })
    }
}

impl fmt::Display for MaintenanceWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl MaintenanceWindow {
    /// The local end of this window when `local` falls in the one that started on `day`.
    fn end_if_within(&self, day: NaiveDate, local: NaiveDateTime) -> Option<NaiveDateTime> {
        if !self.days.is_empty() && !self.days.contains(&day.weekday()) {
            return None;
        }
        let start = day.and_time(self.start);
        let end_day = if self.end > self.start {
            day
        } else {
            day.checked_add_days(Days::new(1))?
        };
        let end = end_day.and_time(self.end);
        (start <= local && local < end).then_some(end)
    }
}

/// The windows of both gateways, read in one time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceSchedule {
    zone: Tz,
    windows: Vec<MaintenanceWindow>,
}

impl MaintenanceSchedule {
    pub fn new(zone: &str, windows: Vec<MaintenanceWindow>) -> Result<Self, MaintenanceError> {
        let zone = zone
            .parse::<Tz>()
            .map_err(|_| MaintenanceError::TimeZone(zone.to_string()))?;
        Ok(Self { zone, windows })
    }

    /// No windows at all.
    pub fn none() -> Self {
        Self {
            zone: Tz::UTC,
            windows: Vec::new(),
        }
    }

    /// When `chamber`'s gateway is in maintenance at `now`: the moment it ends (following
    /// windows that start as another ends), with the window. `None` when it is open.
    pub fn closed_until(
        &self,
        chamber: Chamber,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, &MaintenanceWindow)> {
        let mut found = None;
        let mut at = now;
        // A handful of adjacent windows at most; the bound keeps a mistaken configuration
        // that covers the whole week from looping.
        for _ in 0..16 {
            let Some((end, window)) = self.window_at(chamber, at) else {
                break;
            };
            found = Some((end, window));
            at = end;
        }
        found
    }

    fn window_at(
        &self,
        chamber: Chamber,
        at: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, &MaintenanceWindow)> {
        let local = at.with_timezone(&self.zone).naive_local();
        let today = local.date();
        let yesterday = today.checked_sub_days(Days::new(1))?;
        self.windows
            .iter()
            .filter(|w| w.chamber.is_none_or(|c| c == chamber))
            .flat_map(|w| {
                [today, yesterday]
                    .into_iter()
                    .filter_map(move |day| w.end_if_within(day, local).map(|end| (end, w)))
            })
            .filter_map(|(end, w)| Some((self.to_utc(end)?, w)))
            .filter(|(end, _)| *end > at)
            .max_by_key(|(end, _)| *end)
    }

    /// A local time as an instant; a time skipped by a clock change counts from an hour on.
    fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&(local + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> MaintenanceSchedule {
        let windows = [
            "house daily 00:00-06:00",
            "senate sun 00:00-06:00",
            "senate wed 05:00-07:00",
        ]
        .iter()
        .map(|w| w.parse().unwrap())
        .collect();
        MaintenanceSchedule::new("America/New_York", windows).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_house_closes_nightly_in_eastern_time() {
        let s = schedule();
        // 2024-07-10 03:00 EDT = 07:00 UTC (summer), ends 06:00 EDT = 10:00 UTC.
        let (end, window) = s
            .closed_until(Chamber::House, utc("2024-07-10T07:00:00Z"))
            .unwrap();
        assert_eq!(end, utc("2024-07-10T10:00:00Z"));
        assert_eq!(window.to_string(), "house daily 00:00-06:00");
        // Winter: 06:00 EST = 11:00 UTC.
        let (end, _) = s
            .closed_until(Chamber::House, utc("2024-01-10T06:30:00Z"))
            .unwrap();
        assert_eq!(end, utc("2024-01-10T11:00:00Z"));
        assert!(
            s.closed_until(Chamber::House, utc("2024-07-10T10:00:00Z"))
                .is_none()
        );
        assert!(
            s.closed_until(Chamber::House, utc("2024-07-10T18:00:00Z"))
                .is_none()
        );
    }

    #[test]
    fn the_senate_closes_on_sundays_and_wednesdays() {
        let s = schedule();
        // Wednesday 2024-07-10 05:30 EDT.
        let (end, _) = s
            .closed_until(Chamber::Senate, utc("2024-07-10T09:30:00Z"))
            .unwrap();
        assert_eq!(end, utc("2024-07-10T11:00:00Z"));
        // Thursday at the same time: open. Sunday 2024-07-14 01:00 EDT: closed until 06:00.
        assert!(
            s.closed_until(Chamber::Senate, utc("2024-07-11T09:30:00Z"))
                .is_none()
        );
        let (end, _) = s
            .closed_until(Chamber::Senate, utc("2024-07-14T05:00:00Z"))
            .unwrap();
        assert_eq!(end, utc("2024-07-14T10:00:00Z"));
    }

    #[test]
    fn windows_past_midnight_and_adjacent_windows() {
        let windows = ["all daily 23:00-01:00", "all daily 01:00-02:00"]
            .iter()
            .map(|w| w.parse().unwrap())
            .collect();
        let s = MaintenanceSchedule::new("UTC", windows).unwrap();
        let (end, _) = s
            .closed_until(Chamber::House, utc("2024-07-10T23:30:00Z"))
            .unwrap();
        assert_eq!(
            end,
            utc("2024-07-11T02:00:00Z"),
            "runs on into the next window"
        );
        let (end, _) = s
            .closed_until(Chamber::Senate, utc("2024-07-11T00:30:00Z"))
            .unwrap();
        assert_eq!(end, utc("2024-07-11T02:00:00Z"));
    }

    #[test]
    fn bad_windows_are_named() {
        for bad in [
            "house 00:00-06:00",
            "congress daily 00:00-06:00",
            "house daily 00:00",
            "house funday 00:00-06:00",
            "house daily 25:00-06:00",
            "house daily 06:00-06:00",
        ] {
            let error = bad.parse::<MaintenanceWindow>().unwrap_err();
            assert!(error.to_string().contains(bad), "{error}");
        }
        assert!(MaintenanceSchedule::new("Mars/Olympus", Vec::new()).is_err());
    }
}
