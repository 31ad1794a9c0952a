//! `--at`: when a batch starts.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead a batch may be scheduled. Beyond a year a start time is far more likely
/// a typo than a plan (and far enough ahead, date arithmetic overflows).
pub const MAX_AHEAD_DAYS: i64 = 366;

/// Parses `--at` against `now`: RFC 3339, a local date-time in `timezone` (UTC by default),
/// or `+DURATION` (`+10m`, `+2h`); at most [`MAX_AHEAD_DAYS`] ahead of `now`.
pub fn start_time(
    at: &str,
    timezone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    let at = at.trim();
    let start = parse(at, timezone, now)?;
    let latest = now + chrono::Duration::days(MAX_AHEAD_DAYS);
    if start > latest {
        return Err(format!(
            "`{at}` is more than {MAX_AHEAD_DAYS} days ahead; a batch starts within a year"
        ));
    }
    Ok(start)
}

fn parse(at: &str, timezone: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(delay) = at.strip_prefix('+') {
        let delay = humantime::parse_duration(delay).map_err(|e| format!("`{at}`: {e}"))?;
        let too_far = || format!("`{at}` is more than {MAX_AHEAD_DAYS} days ahead");
        let delay = chrono::Duration::from_std(delay).map_err(|_| too_far())?;
        return now.checked_add_signed(delay).ok_or_else(too_far);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(at) {
        if timezone.is_some() {
            return Err(format!("`{at}` has its own offset; drop --timezone"));
        }
        return Ok(t.with_timezone(&Utc));
    }
    let zone: Tz = match timezone {
        Some(name) => name
            .parse()
            .map_err(|_| format!("`{name}` is not a time zone (e.g. America/New_York)"))?,
        None => Tz::UTC,
    };
    let local = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(at, f).ok())
    .ok_or_else(|| {
        format!("`{at}` is not a time (try 2026-12-01 09:00, an RFC 3339 time, or +10m)")
    })?;
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        chrono::LocalResult::None => Err(format!(
            "`{at}` does not exist in {zone} (a daylight-saving gap)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            start_time("+10m", None, now).unwrap().to_rfc3339(),
            "2026-11-23T12:10:00+00:00"
        );
        assert_eq!(
            start_time("2026-12-01T09:00:00-05:00", None, now)
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T14:00:00+00:00"
        );
        assert_eq!(
            start_time("2026-12-01 09:00", Some("America/New_York"), now)
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T14:00:00+00:00"
        );
        assert_eq!(
            start_time("2026-12-01 09:00", None, now)
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T09:00:00+00:00"
        );
        assert!(start_time("tomorrow", None, now).is_err());
        assert!(start_time("2026-12-01 09:00", Some("Mars/Olympus"), now).is_err());
        assert!(start_time("2026-03-08 02:30", Some("America/New_York"), now).is_err());
    }

    #[test]
    fn far_future_start_times_are_refused_not_panicked_on() {
        let now = Utc::now();
        for at in ["+9999999999d", "+300000y", "+367d", "9999-12-31T00:00:00Z"] {
            let error = start_time(at, None, now).unwrap_err();
            assert!(error.contains("366 days ahead"), "{at}: {error}");
        }
        assert!(start_time("+365d", None, now).is_ok());
    }
}
