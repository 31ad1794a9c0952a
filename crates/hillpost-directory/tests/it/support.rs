//! The crate's own fixture (crates/hillpost-directory/fixtures), read once per test.

use std::path::PathBuf;

use hillpost_directory::load::read_sources;
use hillpost_directory::{Directory, SourceFile, SourcePaths, Sources, build_directory};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn sources() -> Sources {
    read_sources(&SourcePaths::data_dir(&fixture_dir())).expect("fixture files")
}

pub fn directory() -> Directory {
    build_directory(&sources()).expect("the fixture is valid")
}

/// The 1-based line of the first occurrence of `needle` (so tests do not hard-code lines).
pub fn line_of(text: &str, needle: &str) -> u32 {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the text"));
    u32::try_from(text[..at].matches('\n').count() + 1).unwrap()
}

pub fn text(file: &SourceFile) -> String {
    String::from_utf8(file.bytes().to_vec()).unwrap()
}

/// The same file with `from` replaced by `to` (exactly once).
pub fn edited(file: &SourceFile, from: &str, to: &str) -> SourceFile {
    let text = text(file);
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` once in {}",
        file.name()
    );
    SourceFile::new(file.name(), text.replacen(from, to, 1))
}
