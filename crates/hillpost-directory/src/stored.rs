//! What a stored directory is made of, and rebuilding a [`Directory`] from it.
//!
//! The store keeps the files of an import whole, each with its role, and the ZIP table as
//! rows. Loading re-parses the files: parsing is what gives every record its file, revision
//! and line, and a stored copy parses exactly as it did when it was imported.

use std::collections::BTreeMap;

use hillpost_core::eligibility::District;
use thiserror::Error;

use crate::directory::Directory;
use crate::error::SourceError;
use crate::import::{Sources, build_directory};
use crate::source::{Provenance, SourceFile};
use crate::zip_districts::ZipDistricts;

/// What an imported file is; stored next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRole {
    Legislators,
    Committees,
    Membership,
    Executive,
    FormVariables,
    FormConstants,
    MemberForm,
    OfficialForm,
}

impl SourceRole {
    pub const ALL: [SourceRole; 8] = [
        SourceRole::Legislators,
        SourceRole::Committees,
        SourceRole::Membership,
        SourceRole::Executive,
        SourceRole::FormVariables,
        SourceRole::FormConstants,
        SourceRole::MemberForm,
        SourceRole::OfficialForm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceRole::Legislators => "legislators",
            SourceRole::Committees => "committees",
            SourceRole::Membership => "membership",
            SourceRole::Executive => "executive",
            SourceRole::FormVariables => "form_variables",
            SourceRole::FormConstants => "form_constants",
            SourceRole::MemberForm => "member_form",
            SourceRole::OfficialForm => "official_form",
        }
    }

    pub fn parse(role: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == role)
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StoredError {
    #[error("the stored directory has a file of unknown role `{0}`")]
    UnknownRole(String),
    #[error("the stored directory has no {0} file")]
    Missing(&'static str),
    #[error("the stored directory has more than one {0} file")]
    Repeated(&'static str),
    /// A stored file no longer parses: the parser changed since it was imported.
    #[error("a stored file no longer parses ({0}); import the directory again")]
    Source(#[from] SourceError),
}

impl Sources {
    /// Every file but the ZIP table (stored as rows), with its role.
    pub fn files_with_roles(&self) -> Vec<(SourceRole, &SourceFile)> {
        fn one(role: SourceRole, file: &SourceFile) -> (SourceRole, &SourceFile) {
            (role, file)
        }
        let mut files = vec![
            one(SourceRole::Legislators, &self.legislators),
            one(SourceRole::Committees, &self.committees),
            one(SourceRole::Membership, &self.membership),
        ];
        files.extend(self.executive.iter().map(|f| one(SourceRole::Executive, f)));
        files.extend(
            self.form_variables
                .iter()
                .map(|f| one(SourceRole::FormVariables, f)),
        );
        files.extend(
            self.form_constants
                .iter()
                .map(|f| one(SourceRole::FormConstants, f)),
        );
        files.extend(
            self.member_forms
                .iter()
                .map(|f| one(SourceRole::MemberForm, f)),
        );
        files.extend(
            self.official_forms
                .iter()
                .map(|f| one(SourceRole::OfficialForm, f)),
        );
        files
    }

    /// The inverse of [`Sources::files_with_roles`]: `(role, name, bytes)` as stored. Forms
    /// are sorted by name, as [`crate::load`] reads them.
    pub fn from_stored(
        files: impl IntoIterator<Item = (String, String, Vec<u8>)>,
    ) -> Result<Sources, StoredError> {
        let mut by_role: BTreeMap<&'static str, Vec<SourceFile>> = BTreeMap::new();
        for (role, name, bytes) in files {
            let role = SourceRole::parse(&role).ok_or(StoredError::UnknownRole(role))?;
            by_role
                .entry(role.as_str())
                .or_default()
                .push(SourceFile::new(name, bytes));
        }
        let mut take = |role: SourceRole| -> Vec<SourceFile> {
            let mut files = by_role.remove(role.as_str()).unwrap_or_default();
            files.sort_by(|a, b| a.name().cmp(b.name()));
            files
        };
        let single = |role: SourceRole, mut files: Vec<SourceFile>| match files.len() {
            0 => Ok(None),
            1 => Ok(files.pop()),
            _ => Err(StoredError::Repeated(role.as_str())),
        };
        let required = |role: SourceRole, files: Vec<SourceFile>| {
            single(role, files)?.ok_or(StoredError::Missing(role.as_str()))
        };
        Ok(Sources {
            legislators: required(SourceRole::Legislators, take(SourceRole::Legislators))?,
            committees: required(SourceRole::Committees, take(SourceRole::Committees))?,
            membership: required(SourceRole::Membership, take(SourceRole::Membership))?,
            executive: single(SourceRole::Executive, take(SourceRole::Executive))?,
            form_variables: single(SourceRole::FormVariables, take(SourceRole::FormVariables))?,
            form_constants: single(SourceRole::FormConstants, take(SourceRole::FormConstants))?,
            member_forms: take(SourceRole::MemberForm),
            official_forms: take(SourceRole::OfficialForm),
            zip_districts: None,
        })
    }
}

impl ZipDistricts {
    /// Every `(zip, district)` pair, by ZIP: what the store keeps.
    pub fn rows(&self) -> impl Iterator<Item = (&str, District)> + '_ {
        self.entries()
            .flat_map(|(zip, districts)| districts.iter().map(move |d| (zip, *d)))
    }
}

/// Rebuilds the directory from stored files and, if there is one, the stored ZIP table
/// (with the name and revision of the file it came from).
pub fn rebuild_directory(
    sources: &Sources,
    zip_table: Option<(Provenance, Vec<(String, District)>)>,
) -> Result<Directory, StoredError> {
    let mut directory = build_directory(sources)?;
    if let Some((provenance, rows)) = zip_table {
        directory
            .sources
            .insert(provenance.file.clone(), provenance.revision.clone());
        directory.zip_districts = ZipDistricts::from_rows(rows, provenance);
    }
    Ok(directory)
}
