//! What can be wrong with the public data, always said with the file, the line and the reason,
//! because the organizer fixes the file, not our code.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A problem in one input file at one line (`0` when the whole file is concerned).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{}{problem}", location(file, *line))]
pub struct SourceError {
    pub file: String,
    pub line: u32,
    pub problem: Problem,
}

fn location(file: &str, line: u32) -> String {
    match line {
        0 => format!("{file}: "),
        line => format!("{file}:{line}: "),
    }
}

/// The reason, in words an organizer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    #[error("the file is not UTF-8")]
    NotUtf8,
    /// Not valid YAML, or YAML of the wrong shape (the parser's own words).
    #[error("{message}")]
    Yaml { message: String },
    #[error("{message}")]
    Csv { message: String },
    #[error("a legislator without a bioguide id")]
    MissingBioguide,
    #[error("`{id}` is not a bioguide id (a letter and six digits)")]
    BadBioguide { id: String },
    #[error("duplicate {what} `{id}` (first at line {first_line})")]
    Duplicate {
        what: String,
        id: String,
        first_line: u32,
    },
    #[error("legislator {bioguide} has no term")]
    NoTerm { bioguide: String },
    #[error("legislator {bioguide}: {reason}")]
    BadLegislator { bioguide: String, reason: String },
    #[error("committee {id}: {reason}")]
    BadCommittee { id: String, reason: String },
    #[error("membership listed for `{id}`, which is neither a committee nor a subcommittee")]
    UnknownCommittee { id: String },
    #[error("{committee} lists {bioguide} ({name}), who is not a current legislator")]
    UnknownMember {
        committee: String,
        bioguide: String,
        name: String,
    },
    #[error("{committee}: a member without a bioguide id ({name})")]
    MemberWithoutBioguide { committee: String, name: String },
    #[error("{reason}")]
    BadMember { reason: String },
    #[error("no current President in the executive record")]
    NoPresident,
    #[error("the form is for {bioguide} but the file is named {file_id}")]
    FormIdMismatch { bioguide: String, file_id: String },
    #[error("{reason}")]
    BadForm { reason: String },
    #[error("{reason}")]
    BadZipRow { reason: String },
}

/// Anything that stops an import: a file that cannot be read, or one that is malformed.
#[derive(Debug, Error)]
pub enum DirectoryError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
}
