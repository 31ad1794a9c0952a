//! Input files and where each record came from. Every record in the directory keeps its
//! [`Provenance`] (file, revision, line) so that a stored directory can say which copy of the
//! public data a member's office or form came from, and a re-import can tell what changed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Problem, SourceError};

/// One input file as read: its name relative to the folder the organizer gave (for example
/// `legislators-current.yaml` or `members/A000055.yaml`) and its bytes.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    revision: String,
    bytes: Vec<u8>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        Self {
            name: name.into(),
            revision: hex::encode(Sha256::digest(&bytes)),
            bytes,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 (hex) of the bytes: the file's revision, whatever its upstream commit.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The text, or an error naming the line of the first byte that is not UTF-8.
    pub fn text(&self) -> Result<&str, SourceError> {
        std::str::from_utf8(&self.bytes).map_err(|e| {
            let line = self.bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            self.error(u32::try_from(line).unwrap_or(u32::MAX), Problem::NotUtf8)
        })
    }

    pub fn provenance(&self, line: u32) -> Provenance {
        Provenance {
            file: self.name.clone(),
            revision: self.revision.clone(),
            line,
        }
    }

    pub fn error(&self, line: u32, problem: Problem) -> SourceError {
        SourceError {
            file: self.name.clone(),
            line,
            problem,
        }
    }
}

/// Where a record came from: file, the file's revision (SHA-256) and the record's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub file: String,
    pub revision: String,
    pub line: u32,
}

impl Provenance {
    /// For errors found after parsing (a duplicate, a membership pointing at nothing).
    pub fn error(&self, problem: Problem) -> SourceError {
        SourceError {
            file: self.file.clone(),
            line: self.line,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_is_the_sha256_of_the_bytes() {
        let file = SourceFile::new("a.yaml", "abc");
        assert_eq!(
            file.revision(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(file.provenance(3).line, 3);
    }

    #[test]
    fn non_utf8_is_located() {
        let file = SourceFile::new("a.yaml", b"ok: 1\nbad: \xff\n".to_vec());
        let error = file.text().unwrap_err();
        assert_eq!(error.to_string(), "a.yaml:2: the file is not UTF-8");
    }
}
