//! The "deliveries over time" chart: step lines of letters delivered and attempts made,
//! computed here as SVG coordinates and drawn by the template (inline SVG, no script).

use chrono::{DateTime, Utc};
use serde::Serialize;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 32.0;

#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    /// The plot area: x from `left` to `right`, y from `top` (the maximum) to `bottom` (0).
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub y_max: u64,
    pub start_label: String,
    pub end_label: String,
    /// SVG `points` of the cumulative delivered letters.
    pub delivered: String,
    /// SVG `points` of the cumulative attempts (every try, retries included).
    pub attempts: String,
    pub delivered_count: u64,
    pub attempt_count: u64,
}

/// The chart from `start` to `end` of the times letters were delivered and attempts made.
pub fn chart(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    delivered: &[DateTime<Utc>],
    attempts: &[DateTime<Utc>],
) -> Chart {
    let y_max = delivered.len().max(attempts.len()).max(1) as u64;
    let span_ms = (end - start).num_milliseconds().max(1000) as f64;
    let x = |t: DateTime<Utc>| {
        let offset = (t - start).num_milliseconds().clamp(0, span_ms as i64) as f64;
        LEFT + offset / span_ms * (WIDTH - RIGHT - LEFT)
    };
    let y = |count: usize| HEIGHT - BOTTOM - count as f64 / y_max as f64 * (HEIGHT - BOTTOM - TOP);
    let steps = |times: &[DateTime<Utc>]| {
        let mut times = times.to_vec();
        times.sort();
        let mut points = vec![(LEFT, y(0))];
        for (i, t) in times.iter().enumerate() {
            points.push((x(*t), y(i)));
            points.push((x(*t), y(i + 1)));
        }
        points.push((WIDTH - RIGHT, y(times.len())));
        points
            .iter()
            .map(|(px, py)| format!("{px:.1},{py:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        y_max,
        start_label: start.format("%H:%M:%S").to_string(),
        end_label: end.format("%H:%M:%S UTC").to_string(),
        delivered: steps(delivered),
        attempts: steps(attempts),
        delivered_count: delivered.len() as u64,
        attempt_count: attempts.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn steps_climb_to_the_count_at_each_time() {
        let c = chart(at(0), at(10), &[at(5), at(0)], &[at(0), at(5), at(5)]);
        assert_eq!(c.y_max, 3);
        // Starts at zero on the left, ends at the total on the right.
        assert!(c.delivered.starts_with("48.0,188.0 "), "{}", c.delivered);
        assert!(c.delivered.ends_with(" 628.0,70.7"), "{}", c.delivered);
        assert!(c.attempts.ends_with(" 628.0,12.0"), "{}", c.attempts);
        // The second delivery, halfway through the span.
        assert!(
            c.delivered.contains(" 338.0,129.3 338.0,70.7"),
            "{}",
            c.delivered
        );
        assert_eq!(c.start_label, "08:00:00");
    }

    #[test]
    fn an_empty_or_instant_batch_still_draws() {
        let c = chart(at(0), at(0), &[], &[]);
        assert_eq!(c.y_max, 1);
        assert_eq!(c.delivered, "48.0,188.0 628.0,188.0");
    }
}
