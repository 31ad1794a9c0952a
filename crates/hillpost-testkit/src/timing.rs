//! Judging send times from the outside (rate-limit tests and the benchmark).

/// The most events in any half-open window of `window` seconds among `times` (any order).
pub fn busiest_window(times: &[f64], window: f64) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (mut best, mut start) = (0, 0);
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::busiest_window;

    #[test]
    fn busiest_window_counts_half_open_windows() {
        assert_eq!(busiest_window(&[0.0, 0.5, 1.0, 1.5], 1.0), 2);
        assert_eq!(busiest_window(&[0.0, 0.1, 0.2, 0.99], 1.0), 4);
        assert_eq!(busiest_window(&[1.5, 0.0, 1.0, 0.5], 1.0), 2);
        assert_eq!(busiest_window(&[], 1.0), 0);
    }
}
