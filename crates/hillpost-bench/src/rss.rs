//! Memory figures from /proc (Linux): a process's peak resident set, the machine's memory.

/// This process's peak resident set size in KiB (`VmHWM`), if the kernel tells.
pub fn peak_rss_kib() -> Option<u64> {
    status_field("/proc/self/status", "VmHWM:")
}

pub fn total_memory() -> String {
    match status_field("/proc/meminfo", "MemTotal:") {
        Some(kib) => format!("{:.1} GiB memory", kib as f64 / 1024.0 / 1024.0),
        None => "memory unknown".to_string(),
    }
}

fn status_field(path: &str, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
