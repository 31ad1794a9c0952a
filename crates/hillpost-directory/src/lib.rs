//! hillpost's directory: who can receive a letter and how to reach them, built from public
//! data (congress-legislators, contact-congress form definitions, the Census ZIP → district
//! table).
//!
//! ```text
//!  files ──load──▶ Sources ──build_directory──▶ Directory ──resolve(Target)──▶ Vec<ResolvedRecipient>
//!                   (bytes + SHA-256)           │    (legislators, committees,       (Recipient with endpoints
//!                                               │     rosters, forms, ZIP table)      in order, eligibility, why)
//!                                               └──diff(old, new)──▶ DirectoryDiff (printed before applying)
//! ```
//!
//! Parsing and resolution are pure; only [`load`] reads files. Every record keeps the file,
//! revision and line it came from, and every malformed input is an error naming them.

pub mod committees;
pub mod diff;
pub mod directory;
pub mod error;
pub mod executive;
pub mod forms;
pub mod import;
pub mod legislators;
pub mod load;
pub mod membership;
pub mod office;
pub mod resolve;
mod roles;
pub mod source;
pub mod stored;
mod yaml;
pub mod zip_districts;

pub use diff::DirectoryDiff;
pub use directory::{CommitteeRef, Directory, SeatHolder};
pub use error::{DirectoryError, Problem, SourceError};
pub use import::{Sources, build_directory};
pub use legislators::{Legislator, Seat};
pub use load::{SourcePaths, load_directory};
pub use membership::{CommitteeMember, CommitteeRoster, Role, Side};
pub use office::OfficeCode;
pub use resolve::{ResolveError, ResolveSettings, ResolvedRecipient, resolve, resolve_target};
pub use source::{Provenance, SourceFile};
pub use stored::{SourceRole, StoredError, rebuild_directory};
pub use zip_districts::ZipDistricts;
