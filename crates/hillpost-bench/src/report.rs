//! Figures as they are measured, printed at once (a long run shows progress) and again as one
//! table at the end.

use std::time::Duration;

#[derive(Default)]
pub struct Report {
    lines: Vec<String>,
}

impl Report {
    pub fn machine(&mut self) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        self.note(format!(
            "machine: {cores} cores; {}",
            crate::rss::total_memory()
        ));
    }

    /// `count` things done in `elapsed`: prints the rate.
    pub fn rate(&mut self, what: &str, count: usize, elapsed: Duration) -> f64 {
        let per_second = count as f64 / elapsed.as_secs_f64();
        // Slow paths (a browser per delivery) need their decimals.
        let decimals = if per_second < 10.0 { 2 } else { 0 };
        self.note(format!(
            "{what:<58} {per_second:>12.decimals$} /s   ({count} in {:.2} s)",
            elapsed.as_secs_f64()
        ));
        per_second
    }

    pub fn note(&mut self, line: String) {
        println!("{line}");
        self.lines.push(line);
    }

    pub fn skipped(&mut self, section: &str, why: &str) {
        self.note(format!("SKIPPED {section}: {why}"));
    }

    pub fn finish(&self) {
        println!("\n── summary ──────────────────────────────────────────────────────────────────");
        for line in &self.lines {
            println!("{line}");
        }
    }
}
