//! Reading a small file the user named, as text, with a bound: by reading at most one byte
//! more than allowed, not by the size the file system reports (a pipe or a device such as
//! `/dev/zero` reports none and may never end).

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// The file at `path` as text, refused when longer than `max` bytes: "PATH is larger than
/// MAX bytes: `refusal`".
pub fn read_at_most(path: &Path, max: u64, refusal: &str) -> anyhow::Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {} as text", path.display()))?;
    if text.len() as u64 > max {
        anyhow::bail!("{} is larger than {max} bytes: {refusal}", path.display());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_never_ends_is_refused_at_the_bound() {
        let error = read_at_most(Path::new("/dev/zero"), 1000, "too long").unwrap_err();
        assert_eq!(
            error.to_string(),
            "/dev/zero is larger than 1000 bytes: too long"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.txt");
        std::fs::write(&path, "just right").unwrap();
        assert_eq!(read_at_most(&path, 10, "too long").unwrap(), "just right");
        assert!(read_at_most(&path, 9, "too long").is_err());
    }
}
